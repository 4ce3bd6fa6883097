import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../../../testing/fcSeed.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { WorkOrder } from '../support/workOrder.js';
import { docFromJSON, docToJSON } from '../../src/document/docJson.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';

beforeAll(() => logSeed('document JSON'));

describe('docToJSON / docFromJSON', () => {
  it('round-trips through JSON text to an identical state', () => {
    fc.assert(
      fc.property(scriptArb(3, 16), (script) => {
        for (const doc of runSimulation(3, script).docs) {
          const back = docFromJSON(JSON.parse(JSON.stringify(docToJSON(doc))));
          expect(encodeDoc(back)).toEqual(encodeDoc(doc));
          expect(materialize(back, WorkOrder)).toEqual(materialize(doc, WorkOrder));
        }
      }),
    );
  });
});
