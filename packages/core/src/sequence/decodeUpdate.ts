import { DecodeError } from '../errors.js';
import { ByteReader } from './bytes.js';
import type { ContentCodec } from './contentCodec.js';
import { FORMAT, MAGIC, T_AGENT, T_DELETED, T_MOVE, T_OL, T_OL_PREV, T_OR, T_OR_NEXT, T_PARTS, T_SEQ } from './encodeUpdate.js';
import type { InsertOp, Update, UpdateOp } from './updateOps.js';

/** Largest length of one operation; bounds the damage a corrupt length can do. */
const MAX_LEN = 2 ** 31;
const REPLICA = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Decodes an update into operations whose agents index `agents`. Everything is validated here,
 * before the replica is touched: structure, bounds, part lengths, content size, trailing bytes.
 */
export function decodeUpdate<C>(bytes: Uint8Array, codec: ContentCodec<C>): { agents: string[]; update: Update<C> } {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('update must be a Uint8Array');
  const r = new ByteReader(bytes);
  if (r.byte() !== MAGIC) throw new DecodeError('not a fieldsync sequence update');
  const format = r.byte();
  if (format !== FORMAT) throw new DecodeError(`unsupported sequence format ${format}`);
  const kind = r.byte();
  if (kind !== codec.kind) throw new DecodeError(`update is for a ${kind === 0 ? 'text' : 'list'}, not a ${codec.kind === 0 ? 'text' : 'list'}`);
  const nAgents = r.bounded(bytes.length, 'agent count');
  const agents: string[] = [];
  const dec = new TextDecoder();
  for (let i = 0; i < nAgents; i++) {
    const name = dec.decode(r.bytes(r.bounded(64, 'replica id length')));
    if (!REPLICA.test(name)) throw new DecodeError(`invalid replica id ${JSON.stringify(name)}`);
    agents.push(name);
  }
  const agent = (): number => r.bounded(nAgents - 1, 'agent index');
  const nOps = r.bounded(bytes.length, 'operation count');
  const ops: UpdateOp<C>[] = [];
  const expected = new Array<number>(nAgents).fill(0);
  const visible: Array<{ len: number; content: C | null }> = [];
  let a = -1;
  for (let k = 0; k < nOps; k++) {
    const tag = r.u();
    const opKind = tag & 3;
    if (opKind === 3 || tag >= T_MOVE * 2) throw new DecodeError(`bad operation tag ${tag}`);
    if (tag & T_AGENT) a = agent();
    else if (a < 0) throw new DecodeError('first operation names no agent');
    const seq = (expected[a] as number) + (tag & T_SEQ ? r.s() : 0);
    const len = r.bounded(MAX_LEN, 'operation length');
    if (seq < 0 || len === 0 || seq + len > Number.MAX_SAFE_INTEGER) throw new DecodeError('bad operation id range');
    expected[a] = seq + len;
    if (opKind === 0) {
      const op: InsertOp<C> = { kind: 0, agent: a, seq, len, oLa: -1, oLs: 0, oRa: -1, oRs: 0, parts: [], move: undefined };
      if (tag & T_OL) {
        if (tag & T_OL_PREV) {
          op.oLa = a;
          op.oLs = seq - 1;
        } else [op.oLa, op.oLs] = readId(r, agent(), a, seq);
      } else if (tag & T_OL_PREV) throw new DecodeError('bad operation tag');
      if (tag & T_OR) {
        if (tag & T_OR_NEXT) {
          if (op.oLa < 0) throw new DecodeError('origin-right relative to a missing origin-left');
          op.oRa = op.oLa;
          op.oRs = op.oLs + 1;
        } else [op.oRa, op.oRs] = readId(r, agent(), a, seq);
      }
      if (op.oLs < 0 || op.oRs < 0) throw new DecodeError('negative origin');
      if (tag & T_PARTS) {
        const n = r.bounded(len, 'part count');
        let total = 0;
        for (let i = 0; i < n; i++) {
          const v = r.u();
          const plen = Math.floor(v / 2);
          if (plen === 0) throw new DecodeError('empty part');
          total += plen;
          op.parts.push({ len: plen, content: v % 2 === 1 ? null : (undefined as unknown as C) });
        }
        if (total !== len) throw new DecodeError('parts do not add up to the operation length');
      } else op.parts.push({ len, content: tag & T_DELETED ? null : (undefined as unknown as C) });
      for (const p of op.parts) if (p.content !== null) visible.push(p);
      if (tag & T_MOVE) {
        if (len !== 1) throw new DecodeError('a move slot has length 1');
        op.move = { ea: agent(), es: r.u(), stamp: r.u() };
      }
      ops.push(op);
    } else if (opKind === 1) {
      const n = r.bounded(bytes.length, 'target count');
      const targets = readTriples(r, n, agent);
      ops.push({ kind: 1, agent: a, seq, len, targets });
    } else ops.push({ kind: 2, agent: a, seq, len });
  }
  const tombstones = readTriples(r, r.bounded(bytes.length, 'tombstone count'), agent);
  const contents = codec.read(
    r,
    visible.map((p) => p.len),
  );
  visible.forEach((p, i) => (p.content = contents[i] as C));
  if (!r.done) throw new DecodeError('trailing bytes after sequence update');
  return { agents, update: { ops, tombstones } };
}

function readId(r: ByteReader, a: number, opAgent: number, opSeq: number): [number, number] {
  return [a, a === opAgent ? opSeq - r.s() : r.u()];
}

function readTriples(r: ByteReader, n: number, agent: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = agent();
    const s = r.u();
    const l = r.bounded(MAX_LEN, 'range length');
    out.push(a, s, l);
  }
  return out;
}
