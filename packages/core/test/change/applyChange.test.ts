import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../../../testing/fcSeed.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { realizeAll, WorkOrder, type IntentTemplate } from '../support/workOrder.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { docToJSON } from '../../src/document/docJson.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change } from '../../src/change/change.js';
import { createAndApply } from '../../src/change/createAndApply.js';

beforeAll(() => logSeed('applyChange purity'));

const decoder = new TextDecoder();

/**
 * Everything a state holds, sequence fields included: the stored JSON (a text's encoded
 * operations, waiting ones too), the canonical bytes (versions and values) and the raw records.
 */
function snapshot(doc: DocState): string {
  return JSON.stringify([
    docToJSON(doc),
    decoder.decode(encodeDoc(doc)),
    doc.s,
    doc.v,
    Object.entries(doc.r).map(([k, v]) => [k, typeof v === 'symbol' ? 'UNSET' : v]),
    doc.t,
    doc.x,
    doc.deleted ?? null,
  ]);
}

/** A permutation of `xs` drawn from `order`, with some elements repeated. */
function shuffled<T>(xs: readonly T[], order: readonly number[]): T[] {
  const rest = [...xs];
  const out: T[] = [];
  let k = 0;
  while (rest.length) out.push(rest.splice((order[k++] ?? 0) % rest.length, 1)[0] as T);
  for (const d of order.slice(0, 3)) if (xs.length) out.push(xs[d % xs.length] as T);
  return out;
}

describe('applyChange is pure', () => {
  it('never changes its input, nor any earlier state, whatever the changes and their order', () => {
    fc.assert(
      fc.property(scriptArb(3, 25), fc.array(fc.nat(), { maxLength: 60 }), (script, order) => {
        const { changes } = runSimulation(3, script);
        // Every intermediate state is kept with its snapshot; a later apply must touch none of them.
        const kept: Array<{ doc: DocState; before: string }> = [];
        let doc: DocState | undefined;
        for (const change of shuffled(changes, order)) {
          const before = doc === undefined ? undefined : snapshot(doc);
          const next = applyChange(doc, change, WorkOrder);
          if (doc !== undefined) {
            expect(next).not.toBe(doc);
            expect(snapshot(doc)).toBe(before);
            kept.push({ doc, before: before as string });
          }
          doc = next;
        }
        for (const k of kept) expect(snapshot(k.doc)).toBe(k.before);
      }),
    );
  });

  it('a failing change leaves the input unchanged too', () => {
    const clock = new HybridLogicalClock({ replica: 'anna', now: () => 1_764_000_000_000 });
    const { state } = createAndApply({
      clock,
      type: WorkOrder,
      doc: undefined,
      docId: 'wo1',
      intents: [{ op: 'set', path: ['body'], value: 'pump' }],
    });
    const before = snapshot(state);
    const bad = { id: clock.now(), doc: 'wo1', type: 'WorkOrder', v: 1, ops: { body: { v: 'x' } } };
    expect(() => applyChange(state, { ...bad, stamp: bad.id } as Change, WorkOrder)).toThrow();
    expect(snapshot(state)).toBe(before);
  });
});

describe('createAndApply', () => {
  it('gives the state applyChange gives for its change, and leaves its input unchanged', () => {
    fc.assert(
      fc.property(
        scriptArb(2, 20),
        fc.array(intentsArb(), { minLength: 1, maxLength: 4 }),
        (script, writes) => {
          const start = runSimulation(2, script).docs[0];
          let doc: DocState | undefined = start;
          const clock = new HybridLogicalClock({ replica: 'zoe', now: () => 1_800_000_000_000 });
          for (const templates of writes) {
            const before = doc === undefined ? undefined : snapshot(doc);
            let out;
            try {
              out = createAndApply({
                clock,
                type: WorkOrder,
                doc,
                docId: 'wo42',
                intents: realizeAll(templates, doc, 'zoe'),
              });
            } catch {
              continue; // an intent invalid for this state (e.g. a set on a deleted sub-path): nothing to compare
            }
            if (doc !== undefined) expect(snapshot(doc)).toBe(before);
            const viaApply = applyChange(doc, out.change, WorkOrder);
            expect(snapshot(out.state)).toBe(snapshot(viaApply));
            doc = out.state;
          }
        },
      ),
    );
  });
});

const WRITES: IntentTemplate[] = [
  { op: 'set', path: ['title'], value: 'seal' },
  { op: 'set', path: ['status'], value: 'done' },
  { op: 'inc', path: ['qty'], by: 2 },
  { op: 'add', path: ['tags'], values: ['x'] },
  { op: 'append', path: ['notes'], values: ['n'] },
  { op: 'append', path: ['parts'], values: ['p'] },
  { op: 'set', path: ['address', 'city'], value: 'Oslo' },
  { op: 'textEdit', at: 1, del: 1, insert: 'ab' },
  { op: 'delete' },
  { op: 'restore' },
];

function intentsArb(): fc.Arbitrary<IntentTemplate[]> {
  return fc.array(fc.constantFrom(...WRITES), { minLength: 1, maxLength: 3 });
}
