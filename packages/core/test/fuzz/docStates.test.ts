import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docFromJSON, docToJSON } from '../../src/document/docJson.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';
import { mergeDocs } from '../../src/document/mergeDocs.js';
import { DecodeError, ValidationError } from '../../src/errors.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { WorkOrder } from '../support/workOrder.js';
import { fuzzParams, fuzzTimeout } from './fuzzRuns.js';
import { jsonMutation, mutateJson } from './jsonMutations.js';

/**
 * Fuzzing of `docFromJSON`, the decoder of every stored or received document state: states of
 * real simulated documents (every field kind, text and list fields with real edit histories)
 * with parts replaced by hostile values or their sequence bytes corrupted.
 *
 * Property: a rejection is a `ValidationError` naming a path and a rule, or a `DecodeError` (an
 * unknown field kind, as documented); an accepted state round-trips through JSON, materializes,
 * merges with itself to itself, and merges with the original both ways or is refused both ways
 * with a `ValidationError` (a field whose merge policy was changed).
 */

const fingerprint = (doc: DocState): string => Buffer.from(encodeDoc(doc)).toString('base64');

function decoded(json: unknown): DocState | null {
  try {
    return docFromJSON(json);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    if (!(e instanceof ValidationError)) throw e;
    expect(typeof e.path).toBe('string');
    expect(e.rule).toMatch(/^[a-z-]+$/);
    return null;
  }
}

describe('fuzzing the document state decoder', () => {
  const params = fuzzParams('mutated document states', 100);
  it(
    'mutated real states are a typed error naming path and rule, or a working document',
    () => {
      fc.assert(
        fc.property(
          scriptArb(3, 10),
          fc.array(jsonMutation(['fields']), { minLength: 1, maxLength: 3 }),
          (script, mutations) => {
            const original = runSimulation(3, script).docs[0];
            if (original === undefined) return;
            const before = fingerprint(original);
            const doc = decoded(mutateJson(docToJSON(original), mutations));
            expect(fingerprint(original)).toBe(before);
            if (doc === null) return;
            const again = docFromJSON(JSON.parse(JSON.stringify(docToJSON(doc))));
            expect(fingerprint(again)).toBe(fingerprint(doc));
            materialize(doc, WorkOrder);
            expect(fingerprint(mergeDocs(doc, doc))).toBe(fingerprint(doc));
            // Merging with the original works both ways or is refused both ways. (Not always
            // alike: a forged state may give a set tag or a sequence id of the original other
            // content, and which one a replica keeps then depends on the order.)
            const refused = (f: () => unknown): boolean => {
              try {
                f();
                return false;
              } catch (e) {
                if (!(e instanceof ValidationError)) throw e;
                return true;
              }
            };
            expect(refused(() => mergeDocs(original, doc))).toBe(refused(() => mergeDocs(doc, original)));
            expect(fingerprint(original)).toBe(before);
          },
        ),
        params,
      );
    },
    fuzzTimeout(params, 60),
  );
});
