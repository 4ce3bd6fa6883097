import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Text } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';
import { RefDoc } from './referenceFugueMax.js';

type Step =
  | { t: 'ins'; r: number; at: number; text: string }
  | { t: 'del'; r: number; at: number; len: number }
  | { t: 'sync'; from: number; to: number };

const r = fc.integer({ min: 0, max: 2 });
const at = fc.double({ min: 0, max: 1, noNaN: true });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('ins' as const),
      r,
      at,
      text: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('del' as const), r, at, len: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sync' as const), from: r, to: r }) },
);

describe('agreement with a naive per-character FugueMax', () => {
  it('every replica shows the same text as the oracle after every step', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 50 }), (steps) => {
        const names = ['p', 'q', 'r'];
        const texts = names.map((n) => new Text(n));
        const refs = names.map((n) => new RefDoc(n));
        for (const s of steps) {
          if (s.t === 'sync') {
            if (s.from === s.to) continue;
            texts[s.to]!.applyUpdate(texts[s.from]!.encodeSince(texts[s.to]!.version));
            refs[s.to]!.mergeFrom(refs[s.from]!);
          } else {
            const t = texts[s.r]!;
            const ref = refs[s.r]!;
            const n = t.length;
            if (s.t === 'ins') {
              const pos = Math.floor(s.at * (n + 1)) % (n + 1);
              t.insert(pos, s.text);
              ref.insert(pos, s.text);
            } else if (n > 0) {
              const pos = Math.floor(s.at * n) % n;
              const len = Math.min(s.len, n - pos);
              t.delete(pos, len);
              ref.delete(pos, len);
            }
          }
          for (let i = 0; i < 3; i++) expect(texts[i]!.toString()).toBe(refs[i]!.toString());
        }
      }),
      fcParams('oracle agreement'),
    );
  });
});
