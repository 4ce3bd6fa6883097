import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../../../testing/fcSeed.js';
import { assertMergeLaws } from '../support/laws.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { WorkOrder } from '../support/workOrder.js';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change } from '../../src/change/change.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';
import { mergeDocs } from '../../src/document/mergeDocs.js';

beforeAll(() => logSeed('document convergence'));

const decoder = new TextDecoder();
const key = (d: DocState): string => decoder.decode(encodeDoc(d));

function applyAll(changes: readonly Change[]): DocState | undefined {
  let doc: DocState | undefined;
  for (const c of changes) doc = applyChange(doc, c, WorkOrder);
  return doc;
}

/** A permutation of `xs` drawn from `order`, with some elements repeated (`dup`). */
function shuffle<T>(xs: readonly T[], order: number[], dup: number[]): T[] {
  const rest = [...xs];
  const out: T[] = [];
  let k = 0;
  while (rest.length) out.push(rest.splice((order[k++] ?? 0) % rest.length, 1)[0] as T);
  for (const d of dup) if (xs.length) out.splice(d % (out.length + 1), 0, xs[d % xs.length] as T);
  return out;
}

describe('whole documents', () => {
  it('5 replicas with random delivery order, duplication, delay and partitions converge to identical bytes', () => {
    fc.assert(
      fc.property(scriptArb(5), (script) => {
        const { docs, changes } = runSimulation(5, script);
        if (changes.length === 0) return;
        expect(docs).toHaveLength(5);
        const bytes = docs.map(key);
        for (const b of bytes) expect(b).toBe(bytes[0]);
        // ...and equal to applying every change once, in stamp order, to a fresh document.
        const reference = applyAll([...changes].sort((a, b) => (a.stamp < b.stamp ? -1 : 1))) as DocState;
        expect(key(reference)).toBe(bytes[0]);
        expect(materialize(docs[1] as DocState, WorkOrder)).toEqual(materialize(reference, WorkOrder));
      }),
    );
  });

  it('applying changes in any order, some twice, gives the same state', () => {
    fc.assert(
      fc.property(
        scriptArb(3, 20),
        fc.array(fc.nat()),
        fc.array(fc.nat()),
        fc.array(fc.nat(), { maxLength: 5 }),
        (script, o1, o2, dup) => {
          const { changes } = runSimulation(3, script);
          if (changes.length === 0) return;
          const a = applyAll(shuffle(changes, o1, dup)) as DocState;
          const b = applyAll(shuffle(changes, o2, [])) as DocState;
          expect(key(a)).toBe(key(b));
        },
      ),
    );
  });

  it('mergeDocs is commutative, associative and idempotent', () => {
    const triples = fc
      .tuple(
        scriptArb(3, 16),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.array(fc.nat()),
      )
      .map(([script, m1, m2, order]) => {
        const { changes } = runSimulation(3, script);
        const first = changes[0];
        if (first === undefined) return undefined;
        // Every replica has the first change (so all three are the same document), then a subset.
        const pick = (mask: boolean[]): DocState =>
          applyAll([
            first,
            ...shuffle(
              changes.filter((_, i) => mask[i % mask.length]),
              order,
              [],
            ),
          ]) as DocState;
        return [pick(m1), pick(m2), applyAll(changes) as DocState] as [DocState, DocState, DocState];
      })
      .filter((t): t is [DocState, DocState, DocState] => t !== undefined);
    assertMergeLaws(triples, mergeDocs, key);
  });
});
