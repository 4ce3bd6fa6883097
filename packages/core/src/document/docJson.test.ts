import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../test/support/fcSettings.js';
import { runSimulation, scriptArb } from '../../test/support/simulation.js';
import { WorkOrder } from '../../test/support/workOrder.js';
import { docFromJSON, docToJSON } from './docJson.js';
import { encodeDoc } from './encodeDoc.js';
import { materialize } from './materialize.js';

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
