import { ByteWriter } from './bytes.js';
import type { ContentCodec } from './contentCodec.js';
import type { Update, UpdateOp } from './updateOps.js';
import {
  F_BASE,
  F_FULL,
  FORMAT,
  MAGIC,
  T_AGENT,
  T_DELETED,
  T_MOVE,
  T_OL,
  T_OL_OTHER,
  T_OL_PREV,
  T_OR,
  T_OR_NEXT,
  T_OR_OTHER,
  T_PARTS,
  T_SEQ,
} from './updateFormat.js';

/**
 * Encodes an update. Seqs are implicit while an agent's operations are contiguous (always, in a
 * snapshot); origins are flags when they are the usual neighbours and otherwise a seq distance
 * from the operation itself; content is one block before the operations, so text costs its
 * UTF-8 size and a decoder hands each insert its content as it goes.
 */
export function encodeUpdate<C>(
  update: Update<C>,
  names: readonly string[],
  codec: ContentCodec<C>,
): Uint8Array {
  const t = takeTables();
  try {
    return encodeWith(t, update, names, codec);
  } finally {
    t.busy = false;
  }
}

/**
 * The encoder's tables, reset. They are reused between calls (small updates are encoded per
 * keystroke); a re-entrant call (a list value whose toJSON encodes another list) gets its own.
 * The caller clears `busy` when done.
 */
export function takeTables(): Tables {
  const t = shared.busy ? new Tables() : shared.reset();
  t.busy = true;
  return t;
}

/**
 * Local agent index -> index in the update's agent table (`used` lists them in that order), the
 * per-agent expected seq, and the contents to write. Arrays keep their slots between calls and
 * counters say how much is in use (shrinking an array's length is a slow runtime call).
 */
export class Tables {
  busy = false;
  table: number[] = [];
  used: number[] = [];
  nUsed = 0;
  expected: number[] = [];
  prev = -1;
  contents: unknown[] = [];
  nContents = 0;

  reset(): this {
    for (let i = 0; i < this.nUsed; i++) this.table[this.used[i] as number] = -1;
    this.nUsed = 0;
    for (let i = 0; i < this.nContents; i++) this.contents[i] = null;
    this.nContents = 0;
    this.prev = -1;
    return this;
  }

  ref(a: number): number {
    const x = this.table[a];
    if (x !== undefined && x >= 0) return x;
    const i = this.nUsed++;
    this.table[a] = i;
    this.used[i] = a;
    this.expected[i] = 0;
    return i;
  }

  refOp<C>(op: UpdateOp<C>): void {
    this.ref(op.agent);
    if (op.kind === 0) {
      for (const p of op.parts) if (p.content !== null) this.contents[this.nContents++] = p.content;
      if (op.oLa >= 0) this.ref(op.oLa);
      if (op.oRa >= 0) this.ref(op.oRa);
      if (op.move !== undefined) this.ref(op.move.ea);
    } else if (op.kind === 1) for (let i = 0; i < op.targets.length; i += 3) this.ref(op.targets[i]!);
  }
}

const shared = new Tables();

function encodeWith<C>(
  t: Tables,
  update: Update<C>,
  names: readonly string[],
  codec: ContentCodec<C>,
): Uint8Array {
  for (const op of update.ops) t.refOp(op);
  for (const op of update.pending) t.refOp(op);
  for (let i = 0; i < update.tombstones.length; i += 3) t.ref(update.tombstones[i]!);
  const ends = update.ends;
  if (ends !== null) {
    // Agents with ids but no operation here (everything they wrote was deleted, or compacted
    // away) by name, not by this replica's agent numbers: a compacted snapshot must be the same
    // bytes on every replica in the same state (compactedUpdate.ts).
    const rest: number[] = [];
    for (let a = 0; a < ends.length; a++) if ((ends[a] as number) > 0 && !(t.table[a]! >= 0)) rest.push(a);
    if (rest.length > 1) rest.sort((x, y) => ((names[x] as string) < (names[y] as string) ? -1 : 1));
    for (const a of rest) t.ref(a);
  }

  const base = ends !== null ? (update.base ?? null) : null;
  const w = writeHeader(t, names, codec, ends === null ? 0 : base === null ? F_FULL : F_FULL | F_BASE);
  writeOps(w, update.ops, t);
  // A snapshot closes every agent: the ids after its last insert were deletes.
  if (ends !== null) {
    for (let x = 0; x < t.nUsed; x++) {
      const end = ends[t.used[x] as number] as number;
      w.u(end - (t.expected[x] as number));
      t.expected[x] = end;
    }
  }
  writeOps(w, update.pending, t);
  w.u(update.tombstones.length / 3);
  for (let i = 0; i < update.tombstones.length; i += 3) {
    w.u(t.ref(update.tombstones[i]!));
    w.u(update.tombstones[i + 1]!);
    w.u(update.tombstones[i + 2]!);
  }
  if (base !== null) for (let x = 0; x < t.nUsed; x++) w.u(base[t.used[x] as number] ?? 0);
  return w.finish();
}

/** A writer holding the header, the agent table and the content block (`t` is filled). */
export function writeHeader<C>(
  t: Tables,
  names: readonly string[],
  codec: ContentCodec<C>,
  flags: number,
): ByteWriter {
  const w = ByteWriter.open();
  w.byte(MAGIC);
  w.byte(FORMAT);
  w.byte(codec.kind);
  w.byte(flags);
  w.u(t.nUsed);
  // Replica ids are ASCII ([A-Za-z0-9_-]), one byte per character.
  for (let x = 0; x < t.nUsed; x++) {
    const n = names[t.used[x] as number] as string;
    w.u(n.length);
    w.ensure(n.length);
    const buf = w.buf;
    const at = w.pos;
    for (let i = 0; i < n.length; i++) buf[at + i] = n.charCodeAt(i);
    w.pos = at + n.length;
  }
  try {
    // List values are JSON: a value's toJSON may throw (or encode another list, see takeTables).
    codec.write(w, t.contents as C[], t.nContents);
  } catch (e) {
    w.abandon();
    throw e;
  }
  return w;
}

function writeOps<C>(w: ByteWriter, ops: UpdateOp<C>[], st: Tables): void {
  w.u(ops.length);
  for (const op of ops) {
    if (op.kind === 0) {
      const p0 = op.parts[0];
      const tag = writeHead(
        w,
        st,
        0,
        op.agent,
        op.seq,
        op.len,
        op.oLa,
        op.oLs,
        op.oRa,
        op.oRs,
        op.parts.length,
        p0 !== undefined && p0.content === null,
        op.move !== undefined,
      );
      if (tag & T_PARTS) {
        w.u(op.parts.length);
        for (const p of op.parts) w.u(p.len * 2 + (p.content === null ? 1 : 0));
      }
      if (op.move !== undefined) {
        w.u(st.ref(op.move.ea));
        w.u(op.move.es);
        w.u(op.move.stamp);
      }
    } else if (op.kind === 1) {
      writeHead(w, st, 1, op.agent, op.seq, op.len, -1, 0, -1, 0, 0, false, false);
      w.u(op.targets.length / 3);
      for (let i = 0; i < op.targets.length; i += 3) {
        w.u(st.ref(op.targets[i]!));
        w.u(op.targets[i + 1]!);
        w.u(op.targets[i + 2]!);
      }
    } else writeHead(w, st, 2, op.agent, op.seq, op.len, -1, 0, -1, 0, 0, false, false);
  }
}

/**
 * Writes an operation's tag, agent, seq, length and (for an insert) origins; returns the tag,
 * after which the caller writes an insert's part lengths and move, or a delete's targets.
 */
export function writeHead(
  w: ByteWriter,
  st: Tables,
  kind: number,
  agent: number,
  seq: number,
  len: number,
  oLa: number,
  oLs: number,
  oRa: number,
  oRs: number,
  nParts: number,
  deleted: boolean,
  move: boolean,
): number {
  const expected = st.expected;
  const a = st.ref(agent);
  let tag = kind;
  if (seq !== expected[a]) tag |= T_SEQ;
  if (a !== st.prev) tag |= T_AGENT;
  if (kind === 0) {
    if (oLa >= 0) {
      if (oLa === agent && oLs === seq - 1) tag |= T_OL | T_OL_PREV;
      else tag |= oLa === agent ? T_OL : T_OL | T_OL_OTHER;
    }
    if (oRa >= 0) {
      if (oLa >= 0 && oRa === oLa && oRs === oLs + 1) tag |= T_OR | T_OR_NEXT;
      else tag |= oRa === agent ? T_OR : T_OR | T_OR_OTHER;
    }
    if (nParts > 1) tag |= T_PARTS;
    else if (deleted) tag |= T_DELETED;
    if (move) tag |= T_MOVE;
  }
  w.u(tag);
  if (tag & T_AGENT) w.u(a);
  if (tag & T_SEQ) w.s(seq - (expected[a] as number));
  w.u(len);
  expected[a] = seq + len;
  st.prev = a;
  if (kind === 0) {
    if ((tag & (T_OL | T_OL_PREV)) === T_OL) {
      if (tag & T_OL_OTHER) {
        w.u(st.ref(oLa));
        w.u(oLs);
      } else w.s(seq - oLs);
    }
    if ((tag & (T_OR | T_OR_NEXT)) === T_OR) {
      if (tag & T_OR_OTHER) {
        w.u(st.ref(oRa));
        w.u(oRs);
      } else w.s(oRs - seq);
    }
  }
  return tag;
}
