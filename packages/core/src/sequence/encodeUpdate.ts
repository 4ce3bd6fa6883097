import { ByteWriter } from './bytes.js';
import type { ContentCodec } from './contentCodec.js';
import type { Update } from './updateOps.js';

/** First byte of every sequence update, then the format version. */
export const MAGIC = 0xf5;
export const FORMAT = 1;

// Operation tag bits (the tag is a varint).
export const T_SEQ = 1 << 2; // seq differs from the agent's expected next seq
export const T_AGENT = 1 << 3; // agent differs from the previous operation's
export const T_OL = 1 << 4; // has origin-left
export const T_OL_PREV = 1 << 5; // origin-left is agent:seq-1 (continuing a split insert)
export const T_OR = 1 << 6; // has origin-right
export const T_OR_NEXT = 1 << 7; // origin-right is the item after origin-left in id order
export const T_PARTS = 1 << 8; // several parts (some deleted)
export const T_DELETED = 1 << 9; // single part, deleted
export const T_MOVE = 1 << 10; // a list slot written by a move

/**
 * Encodes an update. Layout: magic, format, content kind, agent names, operations, tombstone
 * ranges, content block. Seqs are implicit when an agent's operations are contiguous (always, in
 * a snapshot); origins are flags when they are the common neighbours; content is one block so
 * text costs its UTF-8 size.
 */
export function encodeUpdate<C>(update: Update<C>, names: readonly string[], codec: ContentCodec<C>): Uint8Array {
  const table = new Map<number, number>();
  const used: string[] = [];
  const ref = (a: number): number => {
    let x = table.get(a);
    if (x === undefined) {
      x = used.length;
      table.set(a, x);
      used.push(names[a] as string);
    }
    return x;
  };
  for (const op of update.ops) {
    ref(op.agent);
    if (op.kind === 0) {
      if (op.oLa >= 0) ref(op.oLa);
      if (op.oRa >= 0) ref(op.oRa);
      if (op.move !== undefined) ref(op.move.ea);
    } else if (op.kind === 1) for (let i = 0; i < op.targets.length; i += 3) ref(op.targets[i]!);
  }
  for (let i = 0; i < update.tombstones.length; i += 3) ref(update.tombstones[i]!);

  const w = new ByteWriter();
  w.byte(MAGIC);
  w.byte(FORMAT);
  w.byte(codec.kind);
  w.u(used.length);
  const enc = new TextEncoder();
  for (const n of used) {
    const b = enc.encode(n);
    w.u(b.length);
    w.bytes(b);
  }
  w.u(update.ops.length);
  const expected = new Array<number>(used.length).fill(0);
  const contents: C[] = [];
  let prevAgent = -1;
  for (const op of update.ops) {
    const a = ref(op.agent);
    let tag: number = op.kind;
    if (op.seq !== expected[a]) tag |= T_SEQ;
    if (a !== prevAgent) tag |= T_AGENT;
    if (op.kind === 0) {
      if (op.oLa >= 0) tag |= op.oLa === op.agent && op.oLs === op.seq - 1 ? T_OL | T_OL_PREV : T_OL;
      if (op.oRa >= 0) tag |= op.oLa >= 0 && op.oRa === op.oLa && op.oRs === op.oLs + 1 ? T_OR | T_OR_NEXT : T_OR;
      const p0 = op.parts[0];
      if (op.parts.length > 1) tag |= T_PARTS;
      else if (p0 !== undefined && p0.content === null) tag |= T_DELETED;
      if (op.move !== undefined) tag |= T_MOVE;
    }
    w.u(tag);
    if (tag & T_AGENT) w.u(a);
    if (tag & T_SEQ) w.s(op.seq - (expected[a] as number));
    w.u(op.len);
    expected[a] = op.seq + op.len;
    prevAgent = a;
    if (op.kind === 0) {
      if ((tag & (T_OL | T_OL_PREV)) === T_OL) writeId(w, ref(op.oLa), op.oLa === op.agent, op.oLs, op.seq);
      if ((tag & (T_OR | T_OR_NEXT)) === T_OR) writeId(w, ref(op.oRa), op.oRa === op.agent, op.oRs, op.seq);
      if (tag & T_PARTS) {
        w.u(op.parts.length);
        for (const p of op.parts) w.u(p.len * 2 + (p.content === null ? 1 : 0));
      }
      for (const p of op.parts) if (p.content !== null) contents.push(p.content);
      if (op.move !== undefined) {
        w.u(ref(op.move.ea));
        w.u(op.move.es);
        w.u(op.move.stamp);
      }
    } else if (op.kind === 1) {
      w.u(op.targets.length / 3);
      for (let i = 0; i < op.targets.length; i += 3) {
        w.u(ref(op.targets[i]!));
        w.u(op.targets[i + 1]!);
        w.u(op.targets[i + 2]!);
      }
    }
  }
  w.u(update.tombstones.length / 3);
  for (let i = 0; i < update.tombstones.length; i += 3) {
    w.u(ref(update.tombstones[i]!));
    w.u(update.tombstones[i + 1]!);
    w.u(update.tombstones[i + 2]!);
  }
  codec.write(w, contents);
  return w.finish();
}

/** An id: agent, then seq relative to the operation's own seq when the agent is the same. */
function writeId(w: ByteWriter, a: number, sameAgent: boolean, s: number, opSeq: number): void {
  w.u(a);
  if (sameAgent) w.s(opSeq - s);
  else w.u(s);
}
