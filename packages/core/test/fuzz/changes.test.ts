import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change } from '../../src/change/change.js';
import { validateChange } from '../../src/change/validateChange.js';
import { docFromJSON, docToJSON } from '../../src/document/docJson.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';
import { ValidationError } from '../../src/errors.js';
import type { TypeDef } from '../../src/schema/typeDef.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { WorkOrder } from '../support/workOrder.js';
import { fuzzParams, fuzzTimeout } from './fuzzRuns.js';
import { jsonMutation, mutateJson } from './jsonMutations.js';

/**
 * Fuzzing of the change validators: `validateChange` and `applyChange` (with and without the
 * type, into the stored document and into a new one) on changes from real simulations with one
 * to three parts replaced by hostile values — NUL and lone surrogates, `__proto__` keys, huge
 * numbers, values nested 30,000 levels, oversized arrays and strings, wrong types, corrupt
 * sequence updates.
 *
 * Property: a rejection is a `ValidationError` naming a path and a rule; the stored document is
 * unchanged either way (`applyChange` is pure); an accepted change gives a document that
 * round-trips through JSON, materializes, and takes the same change again without changing.
 */

/** Runs `fn`: its result, or null after checking that it threw a ValidationError with path and rule. */
function validated<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    expect(typeof e.path).toBe('string');
    expect(e.rule).toMatch(/^[a-z-]+$/);
    return null;
  }
}

function fingerprint(doc: DocState): string {
  return Buffer.from(encodeDoc(doc)).toString('base64');
}

function healthy(doc: DocState, change: Change, type: TypeDef | undefined): void {
  const again = docFromJSON(JSON.parse(JSON.stringify(docToJSON(doc))));
  expect(fingerprint(again)).toBe(fingerprint(doc));
  materialize(doc, WorkOrder);
  // Idempotent: the same change again (checked against the same type) changes nothing.
  const twice = validated(() => applyChange(doc, change, type));
  if (twice !== null) expect(fingerprint(twice)).toBe(fingerprint(doc));
}

describe('fuzzing the change validators', () => {
  const params = fuzzParams('mutated changes', 100);
  it(
    'mutated real changes are a ValidationError naming path and rule, or applied; nothing half-applied',
    () => {
      fc.assert(
        fc.property(
          scriptArb(3, 10),
          fc.nat(),
          fc.array(jsonMutation(['ops']), { minLength: 1, maxLength: 3 }),
          (script, pick, mutations) => {
            const { docs, changes } = runSimulation(3, script);
            const doc = docs[0];
            const victim = changes[pick % Math.max(1, changes.length)];
            if (doc === undefined || victim === undefined) return;
            const mutated = mutateJson(victim, mutations);
            const change = mutated as Change;
            const before = fingerprint(doc);
            validated(() => validateChange(mutated));
            validated(() => validateChange(mutated, doc));
            validated(() => validateChange(mutated, undefined, WorkOrder));
            for (const type of [WorkOrder, undefined])
              for (const into of [doc, undefined]) {
                const out = validated(() => applyChange(into, change, type));
                expect(fingerprint(doc)).toBe(before);
                if (out !== null) healthy(out, change, type);
              }
          },
        ),
        params,
      );
    },
    fuzzTimeout(params, 60),
  );
});
