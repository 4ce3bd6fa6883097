import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../../../../testing/fcSeed.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { WorkOrder } from '../support/workOrder.js';
import { applyChange } from '../../src/change/applyChange.js';
import { createChange } from '../../src/change/createChange.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { docFromJSON, docToJSON } from '../../src/document/docJson.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';
import { mergeDocs } from '../../src/document/mergeDocs.js';
import { textKind } from '../../src/document/kinds/sequenceKind.js';
import type { Text } from '../../src/sequence/Text.js';

/** A document read back from its JSON: its text and list fields are loaded when first used. */
const reread = (doc: DocState): DocState => docFromJSON(JSON.parse(JSON.stringify(docToJSON(doc))));

/** The same, with every text and list built at once (what `docFromJSON` did before). */
function rereadEagerly(doc: DocState): DocState {
  const out = reread(doc);
  for (const key in out.fields) {
    const s = out.fields[key] as { length?: unknown };
    if (textKind.owns(s) || (typeof s === 'object' && s !== null && 'toArray' in s)) void s.length;
  }
  return out;
}

/** Everything observable of a state: its JSON (storage bytes), canonical encoding and value. */
const observed = (doc: DocState): unknown => ({
  json: JSON.stringify(docToJSON(doc)),
  canonical: encodeDoc(doc),
  value: JSON.parse(JSON.stringify(materialize(doc, WorkOrder))) as unknown,
});

describe('documents whose text and list fields are loaded later', () => {
  it('merge, apply changes, encode and materialize exactly like eagerly loaded ones', () => {
    fc.assert(
      fc.property(scriptArb(3, 16), fc.array(fc.nat(), { maxLength: 12 }), (script, picks) => {
        const run = runSimulation(3, script);
        const docs = run.docs.filter((d): d is DocState => d !== undefined);
        const changes = run.changes;
        if (docs.length === 0) return;
        const lazy = docs.map(reread);
        const eager = docs.map(rereadEagerly);
        for (let i = 0; i < docs.length; i++) expect(observed(lazy[i]!)).toEqual(observed(docs[i]!));
        // Random merges and (re)applied changes, the same in both worlds; each result is read
        // back again now and then, so merges meet states not built yet on either side.
        for (const p of picks) {
          const a = p % docs.length;
          const b = (p >> 2) % docs.length;
          const change = changes.length > 0 ? changes[(p >> 4) % changes.length] : undefined;
          if (p % 3 === 0 && change) {
            lazy[a] = applyChange(lazy[a], change, WorkOrder);
            eager[a] = applyChange(eager[a], change, WorkOrder);
          } else if (p % 3 === 1) {
            lazy[a] = mergeDocs(lazy[a]!, lazy[b]!);
            eager[a] = mergeDocs(eager[a]!, eager[b]!);
          } else {
            lazy[a] = reread(lazy[a]!);
            eager[a] = rereadEagerly(eager[a]!);
          }
          expect(JSON.stringify(docToJSON(lazy[a]!))).toBe(JSON.stringify(docToJSON(eager[a]!)));
        }
        for (let i = 0; i < docs.length; i++) expect(observed(lazy[i]!)).toEqual(observed(eager[i]!));
      }),
      fcParams('deferred values', 300),
    );
  });

  it('a materialized document shows the text as it was, though the state was edited in place before the text was read', () => {
    const clock = new HybridLogicalClock({ replica: 'a' });
    const change = createChange({
      clock,
      type: WorkOrder,
      doc: undefined,
      docId: 'wo1',
      intents: [{ op: 'set', path: ['body'], value: 'before' }],
    });
    const withText = applyChange(undefined, change, WorkOrder);
    const loaded = reread(withText);
    const shown = materialize(loaded, WorkOrder);
    const state = loaded.fields['body'] as Text;
    expect(state.encodedIfUnloaded()).toBeDefined(); // materializing built nothing
    // The client's write path edits a document's own text in place (`applyDelta`).
    textKind.applyDelta(state, textKind.replaceDelta(state, undefined, 'after', 'b', 'body'), '' as never);
    expect(shown['body']).toBe('before');
    expect(materialize(loaded, WorkOrder)['body']).toBe('after');
    expect(JSON.parse(JSON.stringify(shown))).toEqual({ ...shown, body: 'before' });
  });
});
