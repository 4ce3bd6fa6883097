import fc from 'fast-check';
import { expect } from 'vitest';
import { canonicalJson } from '../../src/util/json.js';

/**
 * Checks the three join-semilattice laws of `merge` on generated triples of states, comparing
 * states by a canonical key (canonical JSON unless given): commutative, associative, idempotent.
 */
export function assertMergeLaws<S>(
  triples: fc.Arbitrary<[S, S, S]>,
  merge: (a: S, b: S) => S,
  key: (s: S) => string = canonicalJson,
): void {
  fc.assert(
    fc.property(triples, ([a, b, c]) => {
      expect(key(merge(a, b))).toBe(key(merge(b, a)));
      expect(key(merge(merge(a, b), c))).toBe(key(merge(a, merge(b, c))));
      expect(key(merge(a, a))).toBe(key(a));
      expect(key(merge(merge(a, b), b))).toBe(key(merge(a, b)));
    }),
  );
}

/**
 * Three states built from random subsets of one pool of writes: the realistic situation of
 * three replicas that each received some of the same changes.
 */
export function triplesFromPool<W, S>(
  pool: fc.Arbitrary<W[]>,
  build: (writes: W[]) => S,
): fc.Arbitrary<[S, S, S]> {
  return pool.chain((ws) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: ws.length, maxLength: ws.length }),
        fc.array(fc.boolean(), { minLength: ws.length, maxLength: ws.length }),
        fc.array(fc.boolean(), { minLength: ws.length, maxLength: ws.length }),
      )
      .map(
        ([m1, m2, m3]) =>
          [
            build(ws.filter((_, i) => m1[i])),
            build(ws.filter((_, i) => m2[i])),
            build(ws.filter((_, i) => m3[i])),
          ] as [S, S, S],
      ),
  );
}
