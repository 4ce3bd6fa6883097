import { DecodeError } from '../errors.js';
import { ByteReader } from './bytes.js';
import type { ContentCodec } from './contentCodec.js';
import type { InsertOp, Update, UpdateOp } from './updateOps.js';
import { F_FULL, FORMAT, MAGIC, T_AGENT, T_DELETED, T_MAX, T_MOVE, T_OL, T_OL_OTHER, T_OL_PREV, T_OR, T_OR_NEXT, T_OR_OTHER, T_PARTS, T_SEQ } from './updateFormat.js';

/** Largest length of one operation; bounds the damage a corrupt length can do. */
const MAX_LEN = 2 ** 31;
const REPLICA = /^[A-Za-z0-9_-]{1,64}$/;

interface State<C> {
  r: ByteReader;
  nAgents: number;
  expected: number[];
  prev: number;
  /** Parts whose content comes from the content block, in order. */
  visible: Array<{ len: number; content: C | null }>;
}

/**
 * Decodes an update into operations whose agents index `agents`. Everything is validated here,
 * before the replica is touched: checksum, structure, bounds, part lengths, content size,
 * trailing bytes.
 */
export function decodeUpdate<C>(bytes: Uint8Array, codec: ContentCodec<C>): { agents: string[]; update: Update<C> } {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('update must be a Uint8Array');
  const r = new ByteReader(bytes);
  if (r.byte() !== MAGIC) throw new DecodeError('not a fieldsync sequence update');
  const format = r.byte();
  if (format !== FORMAT) throw new DecodeError(`unsupported sequence format ${format}`);
  const kind = r.byte();
  if (kind !== codec.kind) throw new DecodeError(`update is for a ${kind === 0 ? 'text' : 'list'}, not a ${codec.kind === 0 ? 'text' : 'list'}`);
  const flags = r.byte();
  if (flags > F_FULL) throw new DecodeError(`unknown update flags ${flags}`);
  const full = flags === F_FULL;
  const nAgents = r.bounded(r.buf.length, 'agent count');
  const agents: string[] = [];
  const dec = new TextDecoder();
  for (let i = 0; i < nAgents; i++) {
    const name = dec.decode(r.bytes(r.bounded(64, 'replica id length')));
    if (!REPLICA.test(name)) throw new DecodeError(`invalid replica id ${JSON.stringify(name)}`);
    agents.push(name);
  }
  const st: State<C> = { r, nAgents, expected: new Array<number>(nAgents).fill(0), prev: -1, visible: [] };
  const ops = readOps(st, full);
  let ends: number[] | null = null;
  if (full) {
    ends = [];
    for (let a = 0; a < nAgents; a++) {
      const gap = r.bounded(MAX_LEN, 'trailing deletes');
      const from = st.expected[a] as number;
      if (gap > 0) ops.push({ kind: 2, agent: a, seq: from, len: gap });
      st.expected[a] = from + gap;
      ends.push(from + gap);
    }
  }
  const pending = readOps(st, false);
  const tombstones = readTriples(r, r.bounded(r.buf.length, 'tombstone count'), nAgents);
  const contents = codec.read(
    r,
    st.visible.map((p) => p.len),
  );
  for (let i = 0; i < contents.length; i++) (st.visible[i] as { content: C | null }).content = contents[i] as C;
  if (!r.done) throw new DecodeError('trailing bytes after sequence update');
  return { agents, update: { ops, pending, tombstones, ends } };
}

/** Reads a list of operations; in a snapshot (`gapsAreDeletes`) a seq jump is a run of deletes. */
function readOps<C>(st: State<C>, gapsAreDeletes: boolean): UpdateOp<C>[] {
  const r = st.r;
  const nAgents = st.nAgents;
  const n = r.bounded(r.buf.length, 'operation count');
  const ops: UpdateOp<C>[] = [];
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
    if (seq < 0 || len === 0 || seq + len > Number.MAX_SAFE_INTEGER) throw new DecodeError('bad operation id range');
    if (gapsAreDeletes) {
      if (seq < exp) throw new DecodeError('snapshot operations out of order');
      if (opKind !== 0) throw new DecodeError('a snapshot holds only inserts');
      if (seq > exp) ops.push({ kind: 2, agent: a, seq: exp, len: seq - exp });
    }
    expected[a] = seq + len;
    if (opKind === 0) ops.push(readInsert(st, tag, a, seq, len));
    else if (opKind === 1) ops.push({ kind: 1, agent: a, seq, len, targets: readTriples(r, r.bounded(r.buf.length, 'target count'), nAgents) });
    else ops.push({ kind: 2, agent: a, seq, len });
  }
  return ops;
}

function readInsert<C>(st: State<C>, tag: number, a: number, seq: number, len: number): InsertOp<C> {
  const r = st.r;
  const op: InsertOp<C> = { kind: 0, agent: a, seq, len, oLa: -1, oLs: 0, oRa: -1, oRs: 0, parts: [], move: undefined };
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
  if (op.oLs < 0 || op.oRs < 0) throw new DecodeError('negative origin');
  if (tag & T_PARTS) {
    const n = r.bounded(len, 'part count');
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = r.u();
      const plen = Math.floor(v / 2);
      if (plen === 0) throw new DecodeError('empty part');
      total += plen;
      const part = { len: plen, content: null };
      op.parts.push(part);
      if (v % 2 === 0) st.visible.push(part);
    }
    if (total !== len) throw new DecodeError('parts do not add up to the operation length');
  } else {
    const part = { len, content: null };
    op.parts.push(part);
    if (!(tag & T_DELETED)) st.visible.push(part);
  }
  if (tag & T_MOVE) {
    if (len !== 1) throw new DecodeError('a move slot has length 1');
    op.move = { ea: r.bounded(st.nAgents - 1, 'agent index'), es: r.u(), stamp: r.u() };
  }
  return op;
}

function readTriples(r: ByteReader, n: number, nAgents: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.bounded(nAgents - 1, 'agent index');
    const s = r.u();
    const l = r.bounded(MAX_LEN, 'range length');
    out.push(a, s, l);
  }
  return out;
}
