import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { logSeed } from '../../../../testing/fcSeed.js';
import { assertMergeLaws, triplesFromPool } from '../support/laws.js';
import { stampArb, valueArb, REPLICAS } from '../support/stamps.js';
import type { Stamp } from '../../src/clock/stamp.js';
import { canonicalJson } from '../../src/util/json.js';
import { logAppend, mergeLog, type LogState } from '../../src/crdt/log.js';
import { lwwWrite, mergeLww, type LwwState } from '../../src/crdt/lww.js';
import { mergeObject, emptyObject, type ObjectState } from '../../src/crdt/object.js';
import { emptySet, mergeSet, setDelta, type SetState } from '../../src/crdt/orSet.js';
import { mergeCounter, type CounterState } from '../../src/crdt/pnCounter.js';

beforeAll(() => logSeed('crdt laws'));

interface Write {
  s: Stamp;
  v: unknown;
  seen: Stamp | undefined;
}

/** Writes with unique stamps; a writer saw some earlier stamp (or nothing). */
const writesArb = fc
  .uniqueArray(fc.record({ s: stampArb, v: valueArb, seen: fc.option(stampArb, { nil: undefined }) }), {
    selector: (w) => w.s,
    minLength: 1,
    maxLength: 14,
  })
  .map((ws) =>
    ws.map((w): Write => ({ ...w, seen: w.seen !== undefined && w.seen < w.s ? w.seen : undefined })),
  );

function lwwFrom(ws: Write[]): LwwState | undefined {
  let out: LwwState | undefined;
  for (const w of ws) {
    const r = lwwWrite(w.v, w.s, w.seen);
    out = out ? mergeLww(out, r) : r;
  }
  return out;
}

describe('field CRDT merge laws (commutative, associative, idempotent)', () => {
  it('LWW register with bounded superseded history', () => {
    const triples = triplesFromPool(
      writesArb,
      (ws) => lwwFrom(ws) ?? lwwWrite('seed', '00000000a:0000:anna'),
    );
    assertMergeLaws(triples, mergeLww);
  });

  it('object with per-key merge', () => {
    const keyed = fc.uniqueArray(
      fc.record({
        key: fc.constantFrom('street', 'city', 'zip'),
        s: stampArb,
        v: valueArb,
        seen: fc.constant(undefined),
      }),
      {
        selector: (w) => w.s,
        maxLength: 12,
      },
    );
    const build = (ws: { key: string; s: Stamp; v: unknown }[]): ObjectState<LwwState> => {
      let o = emptyObject<LwwState>();
      for (const w of ws)
        o = mergeObject(o, { k: 'o', f: { [w.key]: lwwWrite(w.v, w.s) } }, (_k, x, y) => mergeLww(x, y));
      return o;
    };
    assertMergeLaws(triplesFromPool(keyed, build), (a, b) => mergeObject(a, b, (_k, x, y) => mergeLww(x, y)));
  });

  it('append-only log', () => {
    const appends = fc.uniqueArray(
      fc.record({ s: stampArb, values: fc.array(valueArb, { minLength: 1, maxLength: 3 }) }),
      { selector: (w) => w.s, maxLength: 10 },
    );
    const build = (ws: { s: Stamp; values: unknown[] }[]): LogState =>
      ws.reduce((l, w) => mergeLog(l, logAppend(w.values, w.s)), { k: 'l', e: [] } as LogState);
    assertMergeLaws(triplesFromPool(appends, build), mergeLog);
  });

  it('add-wins observed-remove set', () => {
    // Each write adds values and removes tags of some earlier writes (what its writer observed).
    const writes = fc
      .uniqueArray(
        fc.record({
          s: stampArb,
          adds: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 2 }),
          removes: fc.array(fc.nat(20), { maxLength: 3 }),
        }),
        { selector: (w) => w.s, maxLength: 10 },
      )
      .map((ws) => {
        const sorted = [...ws].sort((x, y) => (x.s < y.s ? -1 : 1));
        return sorted.map((w, i) => ({
          s: w.s,
          adds: w.adds,
          removes:
            i === 0
              ? []
              : w.removes
                  .map((j) => sorted[j % i] as { s: Stamp; adds: string[] })
                  .flatMap((e) => e.adds.map((_, n) => `${e.s}/${n}`)),
        }));
      });
    const build = (ws: { s: Stamp; adds: string[]; removes: string[] }[]): SetState =>
      ws.reduce((st, w) => mergeSet(st, setDelta(w.adds, w.removes, w.s)), emptySet());
    assertMergeLaws(triplesFromPool(writes, build), mergeSet);
  });

  it('PN-counter', () => {
    const totals = fc.dictionary(fc.constantFrom(...REPLICAS), fc.integer({ min: 0, max: 50 }));
    const counter: fc.Arbitrary<CounterState> = fc.record({
      k: fc.constant('c' as const),
      p: totals,
      n: totals,
    });
    assertMergeLaws(fc.tuple(counter, counter, counter), mergeCounter, canonicalJson);
  });
});
