import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectSince } from '../../src/sequence/collectSince.js';
import type { ContentCodec } from '../../src/sequence/contentCodec.js';
import { listCodec, textCodec } from '../../src/sequence/contentCodec.js';
import { encodeDelta } from '../../src/sequence/encodeDelta.js';
import { encodeUpdate } from '../../src/sequence/encodeUpdate.js';
import { List, Text } from '../../src/sequence/index.js';
import type { SequenceCore } from '../../src/sequence/SequenceCore.js';
import { fcParams } from '../../../../testing/fcSeed.js';

// encodeSince writes a delta straight from the log (encodeDelta) and falls back to the general
// encoder (collectSince + encodeUpdate); both must produce the same bytes for every version.

type Step = {
  r: number;
  at: number;
  del: number;
  text: string;
  sync: number;
  full: boolean;
  restore: boolean;
};
const step = fc.record({
  r: fc.integer({ min: 0, max: 2 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  del: fc.integer({ min: 0, max: 3 }),
  text: fc.string({ unit: fc.constantFrom('a', 'b', 'x', '\u00e9', '\u{1F600}'), maxLength: 3 }),
  sync: fc.integer({ min: 0, max: 3 }),
  full: fc.boolean(),
  restore: fc.boolean(),
});

function coreOf<C>(s: Text | List<string>): SequenceCore<C> {
  return (s as unknown as { core: SequenceCore<C> }).core;
}

function check<C>(
  s: Text | List<string>,
  codec: ContentCodec<C>,
  versions: Array<Record<string, number>>,
): number {
  const core = coreOf<C>(s);
  let fast = 0;
  for (const v of versions) {
    const delta = encodeDelta(core, v, codec);
    if (delta === null) continue;
    fast++;
    expect(Array.from(delta)).toEqual(Array.from(encodeUpdate(collectSince(core, v), core.names, codec)));
  }
  return fast;
}

function session<R extends Text | List<string>>(
  make: (id: string) => R,
  decode: (b: Uint8Array, id: string) => R,
  edit: (r: R, s: Step) => void,
  codec: ContentCodec<unknown>,
  steps: Step[],
): number {
  let reps = [make('r0'), make('r1'), make('r2')];
  const versions: Array<Record<string, number>> = [{}];
  let fast = 0;
  for (const s of steps) {
    versions.push(reps[s.r]!.version);
    edit(reps[s.r]!, s);
    const to = (s.r + 1 + (s.sync % 2)) % 3;
    if (s.sync > 1)
      reps[to]!.applyUpdate(s.full ? reps[s.r]!.encode() : reps[s.r]!.encodeSince(reps[to]!.version));
    if (s.restore && s.sync === 0) reps = reps.map((x, i) => (i === s.r ? decode(x.encode(), `r${i}`) : x));
    fast += check(reps[s.r]!, codec as ContentCodec<never>, versions.slice(-6));
  }
  for (const x of reps) fast += check(x, codec as ContentCodec<never>, versions);
  return fast;
}

describe('encodeDelta writes the same bytes as the general encoder', () => {
  it('text: random edits, partial syncs, snapshot restores, old and new versions', () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        fast += session(
          (id) => new Text(id),
          (b, id) => Text.decode(b, id),
          (t, s) => {
            if (s.del > 0 && t.length > 0) {
              const at = Math.floor(s.at * t.length) % t.length;
              t.delete(at, Math.min(s.del, t.length - at));
            }
            if (s.text.length > 0) t.insert(Math.floor(s.at * (t.length + 1)) % (t.length + 1), s.text);
          },
          textCodec as ContentCodec<unknown>,
          steps,
        );
      }),
      fcParams('encodeDelta text', 300),
    );
    // The fast path must actually have been taken (most deltas qualify).
    expect(fast).toBeGreaterThan(100);
  });

  it('list values', () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        fast += session(
          (id) => new List<string>(id),
          (b, id) => List.decode<string>(b, id),
          (l, s) => {
            if (s.del > 0 && l.length > 0) {
              const at = Math.floor(s.at * l.length) % l.length;
              l.delete(at, Math.min(s.del, l.length - at));
            }
            if (s.text.length > 0)
              l.insert(Math.floor(s.at * (l.length + 1)) % (l.length + 1), ...Array.from(s.text));
          },
          listCodec as ContentCodec<unknown>,
          steps,
        );
      }),
      fcParams('encodeDelta list', 200),
    );
    expect(fast).toBeGreaterThan(100);
  });
});
