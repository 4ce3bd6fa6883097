import fc from 'fast-check';
import { formatStamp, type Stamp } from '../../src/clock/stamp.js';

/** A few replicas, so stamps and tags collide across generated states (the interesting case). */
export const REPLICAS = ['anna', 'ben', 'cleo', 'dev', 'eli'] as const;

/** Small stamps: few walls and counters so that generated writes interleave. */
export const stampArb: fc.Arbitrary<Stamp> = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...REPLICAS))
  .map(([w, c, r]) => formatStamp(1_700_000_000_000 + w, c, r));

/** Small JSON-ish values. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('open', 'in_progress', 'done'),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
