import { describe, expect, it } from 'vitest';
import { fromBase64, List, Text, toBase64 } from '@fieldsync/core';
import { mayHoldSequences, withoutSequenceTombstones } from '../src/history/sequenceTombstones.js';

/** A stored state (docToJSON shape) with a text field and a list inside an object field. */
function stored(text: Text, list: List<unknown>): string {
  return JSON.stringify({
    id: 'd1',
    type: 'workOrder',
    fields: {
      notes: { k: 't', b: toBase64(text.encode()) },
      meta: { k: 'o', f: { steps: { k: 'L', b: toBase64(list.encode()) }, n: { v: 1 } } },
    },
  });
}

type Field = { k: string; b: string };
const fieldsOf = (state: string) =>
  (JSON.parse(state) as { fields: { notes: Field; meta: { f: { steps: Field } } } }).fields;

describe('sequence tombstones in a stored state', () => {
  it('compacts text and list fields (top level and in objects), keeping content and version', () => {
    const t = new Text('a');
    const l = new List<unknown>('a');
    for (let i = 0; i < 50; i++) {
      t.insert(0, `draft ${i} `);
      t.delete(0, t.length - 3);
      l.push({ step: i });
      if (l.length > 2) l.delete(0, 1);
    }
    const state = stored(t, l);
    expect(mayHoldSequences(state)).toBe(true);
    const out = withoutSequenceTombstones(state);
    expect(out).toBeDefined();
    const f = fieldsOf(out as string);
    const t2 = Text.decode(fromBase64(f.notes.b));
    const l2 = List.decode(fromBase64(f.meta.f.steps.b));
    expect([t2.toString(), t2.version]).toEqual([t.toString(), t.version]);
    expect([l2.toArray(), l2.version]).toEqual([l.toArray(), l.version]);
    expect(f.notes.b.length).toBeLessThan(fieldsOf(state).notes.b.length / 5);
    expect(f.meta.f.steps.b.length).toBeLessThan(fieldsOf(state).meta.f.steps.b.length / 2);
    // A second sweep finds nothing to do.
    expect(withoutSequenceTombstones(out as string)).toBeUndefined();
  });

  it('leaves a field without tombstones (or that would not get shorter) as it is', () => {
    const t = new Text('a');
    t.insert(0, 'no deletes here');
    const l = new List<unknown>('a');
    l.push(1, 2, 3);
    expect(withoutSequenceTombstones(stored(t, l))).toBeUndefined();
    expect(mayHoldSequences(JSON.stringify({ fields: { title: { v: 'x' } } }))).toBe(false);
  });
});
