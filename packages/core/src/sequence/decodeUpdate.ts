import { DecodeError } from '../errors.js';
import { ByteReader } from './bytes.js';
import { DecodeState, type OpSink } from './decodeState.js';
import type { ContentCodec, ContentSource } from './contentCodec.js';
import type { ClaimOp, InsertOp, Update, UpdateOp } from './updateOps.js';
import {
  F_BASE,
  F_FULL,
  FORMAT,
  MAGIC,
  T_AGENT,
  T_DELETED,
  T_MAX,
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

/** The usual update has no pending operations and no tombstones: one frozen empty list each. */
const NO_OPS: readonly UpdateOp<never>[] = Object.freeze([]);
const NO_TRIPLES: readonly number[] = Object.freeze([]);
/** The part pool of a decode without a scratch insert (never used). */
const NO_PARTS: Array<{ len: number; content: never }> = [];

function newScratch<C>(): InsertOp<C> {
  return { kind: 0, agent: 0, seq: 0, len: 0, oLa: -1, oLs: 0, oRa: -1, oRs: 0, parts: [], move: undefined };
}

const stream = {
  busy: false,
  op: newScratch<unknown>(),
  claim: { kind: 2, agent: 0, seq: 0, len: 0 } as ClaimOp,
  pool: [] as Array<{ len: number; content: unknown }>,
};

/**
 * The single-part inserts of a (non-streaming) decode come from here and are reused by the next
 * decode: a keystroke's update would otherwise allocate an insert, a part list and a part (200
 * bytes) that die as soon as it is applied. The caller gives them back with {@link releaseOps}
 * once applied; whatever it keeps (operations that must wait) it copies. At most `MAX_POOLED` per
 * decode; a decode while they are taken (none is nested in practice) makes its own.
 */
const opPool = { busy: false, ops: [] as InsertOp<unknown>[], n: 0 };
const MAX_POOLED = 64;

/** Gives back the pooled operations of the decode whose result said `pooled`. */
export function releaseOps(): void {
  const ops = opPool.ops;
  for (let i = 0; i < opPool.n; i++)
    ((ops[i] as InsertOp<unknown>).parts[0] as { content: unknown }).content = null;
  opPool.n = 0;
  opPool.busy = false;
}

/** Largest length of one operation; bounds the damage a corrupt length can do. */
const MAX_LEN = 2 ** 31;

/**
 * Ids (a replica's seqs, origins, move stamps) stay below this. Whatever state an update leaves
 * must encode again as bytes this decoder accepts — `encode`, deltas and compacted snapshots
 * write ids relative to each other (zigzag doubles a difference) and a compacted snapshot closes
 * each replica with one gap as long as all its dropped ids — so ids are bounded where all of
 * those stay exact: 2^48 ids is 280 trillion operations of one replica.
 */
const MAX_ID = 2 ** 48;

/**
 * Decodes an update into operations whose agents index `agents`. Everything is validated here:
 * checksum, structure, bounds, part lengths, content size, trailing bytes. Without a `sink` nothing
 * is applied before the whole update has been checked. With a `sink`, the first operation list is
 * streamed to it; only a caller building a replica it can throw away on error (a fresh decode)
 * may do that.
 */
export function decodeUpdate<C>(
  bytes: Uint8Array,
  codec: ContentCodec<C>,
  sink?: OpSink<C>,
): { agents: string[]; update: Update<C>; pooled: boolean } {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('update must be a Uint8Array');
  const r = ByteReader.open(bytes);
  try {
    return decodeWith(r, codec, sink);
  } finally {
    r.close();
  }
}

function decodeWith<C>(
  r: ByteReader,
  codec: ContentCodec<C>,
  sink: OpSink<C> | undefined,
): { agents: string[]; update: Update<C>; pooled: boolean } {
  if (r.byte() !== MAGIC) throw new DecodeError('not a fieldsync sequence update');
  const format = r.byte();
  if (format !== FORMAT) throw new DecodeError(`unsupported sequence format ${format}`);
  const kind = r.byte();
  if (kind !== codec.kind)
    throw new DecodeError(
      `update is for a ${kind === 0 ? 'text' : 'list'}, not a ${codec.kind === 0 ? 'text' : 'list'}`,
    );
  const flags = r.byte();
  if (flags > (F_FULL | F_BASE) || flags === F_BASE) throw new DecodeError(`unknown update flags ${flags}`);
  const full = (flags & F_FULL) !== 0;
  const nAgents = r.bounded(r.end, 'agent count');
  // Arrays are made at their exact size: an empty array's first push reserves 17 slots, and an
  // update is decoded per keystroke.
  const agents = new Array<string>(nAgents);
  for (let i = 0; i < nAgents; i++) agents[i] = r.replicaId(r.bounded(64, 'replica id length'));
  // (Read before the shared streaming objects are taken: a throw here would leave them taken.)
  const content = codec.read(r);
  // A streaming decode hands out the same objects again and again; they are kept between decodes
  // too (a nested streaming decode makes its own), so their shapes stay settled.
  const reuse = sink !== undefined && !stream.busy;
  if (reuse) stream.busy = true;
  const scratch: InsertOp<C> | null = sink ? (reuse ? (stream.op as InsertOp<C>) : newScratch<C>()) : null;
  const claim: ClaimOp | null = sink ? (reuse ? stream.claim : { kind: 2, agent: 0, seq: 0, len: 0 }) : null;
  const pool = sink ? (reuse ? (stream.pool as Array<{ len: number; content: C | null }>) : []) : NO_PARTS;
  const st = DecodeState.take<C>(r, agents, sink);
  const pooled = sink === undefined && !opPool.busy;
  if (pooled) {
    opPool.busy = true;
    opPool.n = 0;
  }
  st.pooled = pooled;
  st.scratch = scratch;
  st.pool = pool;
  st.claim = claim;
  st.content = content;
  let ok = false;
  try {
    const nOps = r.bounded(r.end, 'operation count');
    // Without snapshot gaps (claims between inserts) the list has exactly nOps operations.
    const ops: UpdateOp<C>[] = sink || full ? [] : new Array<UpdateOp<C>>(nOps);
    st.out = ops;
    sink?.count(nOps);
    readOps(st, nOps, full);
    let ends: number[] | null = null;
    if (full) {
      ends = [];
      for (let a = 0; a < nAgents; a++) {
        const from = st.expected[a] as number;
        const gap = r.bounded(MAX_ID - from, 'trailing deletes');
        if (gap > 0) emit(st, { kind: 2, agent: a, seq: from, len: gap });
        st.expected[a] = from + gap;
        ends.push(from + gap);
      }
    }
    st.scratch = null;
    st.claim = null;
    const nPending = r.bounded(r.end, 'operation count');
    let pending = NO_OPS as UpdateOp<C>[];
    if (nPending > 0) {
      st.pooled = false; // waiting operations are kept as they are
      pending = st.out = [];
      st.nOut = 0;
      st.sink = undefined;
      readOps(st, nPending, false);
    }
    const nTomb = r.bounded(r.end, 'tombstone count');
    const tombstones = nTomb > 0 ? readTriples(r, nTomb, nAgents) : (NO_TRIPLES as number[]);
    let base: number[] | null = null;
    if (flags & F_BASE) {
      base = new Array<number>(nAgents);
      for (let a = 0; a < nAgents; a++) base[a] = r.bounded(MAX_ID, 'base');
    }
    if (content.left !== 0) throw new DecodeError('content block longer than its operations');
    if (!r.done) throw new DecodeError('trailing bytes after sequence update');
    ok = true;
    return { agents, update: { ops, pending, tombstones, ends, base }, pooled };
  } finally {
    if (pooled && !ok) releaseOps();
    content.close();
    st.release();
    if (reuse) {
      stream.busy = false;
      for (let i = 0; i < pool.length; i++) (pool[i] as { content: C | null }).content = null;
    }
  }
}

/** Reads a list of operations; in a snapshot (`gapsAreDeletes`) a seq jump is a run of deletes. */
function emit<C>(st: DecodeState<C>, op: UpdateOp<C>): void {
  if (st.sink !== undefined) st.sink.op(op, st.agents);
  else st.out[st.nOut++] = op;
}

function readOps<C>(st: DecodeState<C>, n: number, gapsAreDeletes: boolean): void {
  const r = st.r;
  const nAgents = st.nAgents;
  const expected = st.expected;
  for (let k = 0; k < n; k++) {
    const tag = r.u();
    const opKind = tag & 3;
    if (opKind === 3 || tag >= T_MAX) throw new DecodeError(`bad operation tag ${tag}`);
    if (tag & T_AGENT) st.prev = r.bounded(nAgents - 1, 'agent index');
    const a = st.prev;
    if (a < 0) throw new DecodeError('first operation names no agent');
    const exp = expected[a] as number;
    const seq = tag & T_SEQ ? exp + r.s() : exp;
    const len = r.bounded(MAX_LEN, 'operation length');
    if (seq < 0 || len === 0 || seq + len > MAX_ID) throw new DecodeError('bad operation id range');
    if (gapsAreDeletes) {
      if (seq < exp) throw new DecodeError('snapshot operations out of order');
      if (opKind !== 0) throw new DecodeError('a snapshot holds only inserts');
      if (seq > exp) emit(st, claimOp(st, a, exp, seq - exp));
    }
    expected[a] = seq + len;
    if (opKind === 0) emit(st, readInsert(st, tag, a, seq, len));
    else if (opKind === 1)
      emit(st, {
        kind: 1,
        agent: a,
        seq,
        len,
        targets: readTriples(r, r.bounded(r.end, 'target count'), nAgents),
      });
    else emit(st, claimOp(st, a, seq, len));
  }
}

function claimOp<C>(st: DecodeState<C>, agent: number, seq: number, len: number): ClaimOp {
  const c = st.claim;
  if (c === null) return { kind: 2, agent, seq, len };
  c.agent = agent;
  c.seq = seq;
  c.len = len;
  return c;
}

/** A part object: fresh, or from the pool when decoding into the scratch insert. */
function part<C>(
  st: DecodeState<C>,
  i: number,
  len: number,
  content: C | null,
): { len: number; content: C | null } {
  if (st.scratch === null) return { len, content };
  let p = st.pool[i];
  if (p === undefined) {
    p = { len, content };
    st.pool.push(p);
  } else {
    p.len = len;
    p.content = content;
  }
  return p;
}

function readInsert<C>(st: DecodeState<C>, tag: number, a: number, seq: number, len: number): InsertOp<C> {
  const r = st.r;
  let op = st.scratch;
  const fromPool = op === null && st.pooled && (tag & (T_PARTS | T_MOVE)) === 0 && opPool.n < MAX_POOLED;
  if (fromPool) {
    let p = opPool.ops[opPool.n] as InsertOp<C> | undefined;
    if (p === undefined) {
      p = {
        kind: 0,
        agent: a,
        seq,
        len,
        oLa: -1,
        oLs: 0,
        oRa: -1,
        oRs: 0,
        parts: [{ len, content: null }],
        move: undefined,
      };
      opPool.ops.push(p as InsertOp<unknown>);
    }
    opPool.n++;
    op = p;
  }
  const fresh = op === null;
  if (op === null)
    op = { kind: 0, agent: a, seq, len, oLa: -1, oLs: 0, oRa: -1, oRs: 0, parts: NO_PARTS, move: undefined };
  else {
    op.agent = a;
    op.seq = seq;
    op.len = len;
    op.oLa = -1;
    op.oLs = 0;
    op.oRa = -1;
    op.oRs = 0;
    if (!fromPool) op.parts.length = 0;
    op.move = undefined;
  }
  if (tag & T_OL) {
    if (tag & T_OL_PREV) {
      op.oLa = a;
      op.oLs = seq - 1;
    } else if (tag & T_OL_OTHER) {
      op.oLa = r.bounded(st.nAgents - 1, 'agent index');
      op.oLs = r.u();
    } else {
      op.oLa = a;
      op.oLs = seq - r.s();
    }
  } else if (tag & (T_OL_PREV | T_OL_OTHER)) throw new DecodeError('bad operation tag');
  if (tag & T_OR) {
    if (tag & T_OR_NEXT) {
      if (op.oLa < 0) throw new DecodeError('origin-right relative to a missing origin-left');
      op.oRa = op.oLa;
      op.oRs = op.oLs + 1;
    } else if (tag & T_OR_OTHER) {
      op.oRa = r.bounded(st.nAgents - 1, 'agent index');
      op.oRs = r.u();
    } else {
      op.oRa = a;
      op.oRs = seq + r.s();
    }
  } else if (tag & (T_OR_NEXT | T_OR_OTHER)) throw new DecodeError('bad operation tag');
  if (op.oLs < 0 || op.oRs < 0 || op.oLs >= MAX_ID || op.oRs >= MAX_ID)
    throw new DecodeError('origin out of range');
  if (tag & T_PARTS) {
    const n = r.bounded(len, 'part count');
    if (fresh) op.parts = new Array<{ len: number; content: C | null }>(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = r.u();
      const plen = Math.floor(v / 2);
      if (plen === 0) throw new DecodeError('empty part');
      total += plen;
      const p = part(st, i, plen, v % 2 === 1 ? null : (st.content as ContentSource<C>).take(plen));
      if (fresh) op.parts[i] = p;
      else op.parts.push(p);
    }
    if (total !== len) throw new DecodeError('parts do not add up to the operation length');
  } else {
    const c = tag & T_DELETED ? null : (st.content as ContentSource<C>).take(len);
    if (fromPool) {
      const p0 = op.parts[0] as { len: number; content: C | null };
      p0.len = len;
      p0.content = c;
    } else {
      const p = part(st, 0, len, c);
      if (fresh) op.parts = [p];
      else op.parts.push(p);
    }
  }
  if (tag & T_MOVE) {
    if (len !== 1) throw new DecodeError('a move slot has length 1');
    op.move = {
      ea: r.bounded(st.nAgents - 1, 'agent index'),
      es: r.bounded(MAX_ID - 1, 'moved id'),
      stamp: r.bounded(MAX_ID, 'move stamp'),
    };
  }
  return op;
}
function readTriples(r: ByteReader, n: number, nAgents: number): number[] {
  const out = new Array<number>(3 * n);
  for (let i = 0; i < 3 * n; i += 3) {
    out[i] = r.bounded(nAgents - 1, 'agent index');
    out[i + 1] = r.bounded(MAX_ID - 1, 'range start');
    out[i + 2] = r.bounded(MAX_LEN, 'range length');
  }
  return out;
}
