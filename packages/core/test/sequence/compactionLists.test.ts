import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactTombstones, List } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';

type Op = { kind: 0 | 1 | 2; at: number; to: number; n: number };
const op = fc.record({
  kind: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  to: fc.double({ min: 0, max: 1, noNaN: true }),
  n: fc.integer({ min: 1, max: 3 }),
});
const ops = fc.array(op, { maxLength: 10 });
let next = 0;

/** Inserts, deletes and moves at relative places. */
function apply(l: List<number>, es: Op[]): void {
  for (const e of es) {
    const len = l.length;
    if (e.kind === 0 || len === 0) {
      const at = Math.floor(e.at * (len + 1)) % (len + 1);
      l.insert(at, ...Array.from({ length: e.n }, () => next++));
    } else if (e.kind === 1) {
      const at = Math.floor(e.at * len) % len;
      l.delete(at, Math.min(e.n, len - at));
    } else l.move(Math.floor(e.at * len) % len, Math.floor(e.to * len) % len);
  }
}

const copy = (l: List<number>, id: string): List<number> => List.decode<number>(l.encode(), id);
const state = (l: List<number>): [number[], Record<string, number>] => [l.toArray(), l.version];

/** Two writers who move, delete and insert, merging after each round. */
function history(rounds: Op[][]): List<number> {
  const a = new List<number>('a');
  const b = new List<number>('b');
  rounds.forEach((es, i) => {
    apply(i % 2 === 0 ? a : b, es);
    if (i % 2 === 1) {
      a.merge(b);
      b.merge(a);
    }
  });
  a.merge(b);
  return a;
}

describe('compacting lists (moves included)', () => {
  it('keeps the items and version, round-trips, is idempotent; compacted replicas converge', () => {
    fc.assert(
      fc.property(fc.array(ops, { minLength: 1, maxLength: 5 }), ops, ops, (rs, ea, eb) => {
        const h = history(rs);
        const c = compactTombstones(h);
        expect(state(c)).toEqual(state(h));
        const d = List.decode<number>(c.encode(), 'd');
        expect(state(d)).toEqual(state(c));
        expect(Buffer.from(compactTombstones(d).encode())).toEqual(Buffer.from(c.encode()));
        // Concurrent moves, deletes and inserts on two compacted copies converge, and an element
        // moved concurrently on both is never duplicated.
        const p = copy(c, 'p');
        const q = copy(c, 'q');
        apply(p, ea);
        apply(q, eb);
        const pq = copy(p, 'z');
        pq.merge(q);
        const qp = copy(q, 'z');
        qp.merge(p);
        expect(state(pq)).toEqual(state(qp));
        expect(new Set(pq.toArray()).size).toBe(pq.length);
        // ...and with a replica that kept its tombstones and moved concurrently.
        const u = copy(h, 'u');
        apply(u, eb);
        const cu = copy(p, 'y');
        cu.merge(u);
        const uc = copy(u, 'y');
        uc.merge(p);
        expect(state(cu)).toEqual(state(uc));
        expect(new Set(cu.toArray()).size).toBe(cu.length);
      }),
      fcParams('list compaction', 300),
    );
  });
});
