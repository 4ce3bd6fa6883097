import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { applyChange } from '../../src/change/applyChange.js';
import { createChange, createInsertChange } from '../../src/change/createChange.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { ValidationError } from '../../src/errors.js';
import { conflicts } from '../../src/document/conflicts.js';
import { materialize } from '../../src/document/materialize.js';

const clock = () => new HybridLogicalClock({ replica: 'anna', now: () => 1_764_000_000_000 });

function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('reading a new document', () => {
  const insert = (values: Record<string, unknown>) =>
    applyChange(undefined, createInsertChange(clock(), WorkOrder, 'wo-1', values), WorkOrder);

  it('collection, text and counter fields nobody wrote read as [], "" and 0; scalars and objects stay absent', () => {
    const doc = insert({ title: 'Fix pump' });
    const view = materialize(doc, WorkOrder);
    expect(view).toEqual({ id: 'wo-1', title: 'Fix pump', notes: [], tags: [], qty: 0, body: '', parts: [] });
    expect('status' in view || 'address' in view || 'meta' in view || 'priority' in view).toBe(false);
    // Each read hands out its own arrays: mutating one view cannot leak into the next.
    (view.tags as unknown[]).push('x');
    expect(materialize(doc, WorkOrder).tags).toEqual([]);
    // Without a type there is nothing to say what an absent field is: it stays absent.
    expect(materialize(doc)).toEqual({ id: 'wo-1', title: 'Fix pump' });
  });

  it('a declared default still wins over the typed empty value', () => {
    const type = {
      ...WorkOrder,
      fields: { ...WorkOrder.fields, qty: { type: 'counter' as const, default: 5 } },
    };
    const doc = applyChange(undefined, createInsertChange(clock(), type, 'wo-2', { title: 't' }), type);
    expect(materialize(doc, type).qty).toBe(5);
  });
});

describe('initial entries of a log field', () => {
  it('insert (createChange and createInsertChange) makes them the first entries, in order', () => {
    const viaIntents = createChange({
      clock: clock(),
      type: WorkOrder,
      doc: undefined,
      docId: 'wo-3',
      intents: [{ op: 'set', path: ['notes'], value: ['arrived', 'pump replaced'] }],
    });
    const viaRecord = createInsertChange(clock(), WorkOrder, 'wo-3', { notes: ['arrived', 'pump replaced'] });
    for (const change of [viaIntents, viaRecord]) {
      const notes = materialize(applyChange(undefined, change, WorkOrder), WorkOrder).notes as Array<{
        value: unknown;
        stamp: string;
      }>;
      expect(notes.map((n) => n.value)).toEqual(['arrived', 'pump replaced']);
      expect(notes.every((n) => n.stamp === change.stamp)).toBe(true);
    }
    expect(
      materialize(
        applyChange(undefined, createInsertChange(clock(), WorkOrder, 'wo-4', { notes: [] }), WorkOrder),
        WorkOrder,
      ).notes,
    ).toEqual([]);
  });

  it('bad initial entries are typed errors; an existing log still cannot be replaced', () => {
    let e = rejection(() => createInsertChange(clock(), WorkOrder, 'wo-5', { notes: 'arrived' }));
    expect([e.path, e.rule]).toEqual(['notes', 'type']);
    e = rejection(() => createInsertChange(clock(), WorkOrder, 'wo-5', { notes: ['ok', 7] }));
    expect(e.path).toBe('notes[1]');
    const doc = applyChange(
      undefined,
      createInsertChange(clock(), WorkOrder, 'wo-5', { notes: ['a'] }),
      WorkOrder,
    );
    e = rejection(() =>
      createChange({
        clock: clock(),
        type: WorkOrder,
        doc,
        intents: [{ op: 'set', path: ['notes'], value: ['b'] }],
      }),
    );
    expect([e.path, e.rule]).toEqual(['notes', 'append-only']);
  });
});

describe('conflicts(doc, path, type)', () => {
  const doc = applyChange(
    undefined,
    createInsertChange(clock(), WorkOrder, 'wo-6', { title: 't' }),
    WorkOrder,
  );

  it('throws ValidationError (unknown-field) for a field the type does not declare', () => {
    let e = rejection(() => conflicts(doc, ['misspelled'], WorkOrder));
    expect([e.path, e.rule]).toEqual(['misspelled', 'unknown-field']);
    e = rejection(() => conflicts(doc, ['address', 'zip'], WorkOrder));
    expect([e.path, e.rule]).toEqual(['address.zip', 'unknown-field']);
    e = rejection(() => conflicts(doc, ['title', 'x'], WorkOrder));
    expect([e.path, e.rule]).toEqual(['title', 'path']);
  });

  it('declared fields, and keys of a free-form object, answer as before', () => {
    expect(conflicts(doc, ['title'], WorkOrder)).toEqual([]);
    expect(conflicts(doc, ['address', 'city'], WorkOrder)).toEqual([]);
    expect(conflicts(doc, ['meta', 'anything'], WorkOrder)).toEqual([]);
    expect(conflicts(doc, ['misspelled'])).toEqual([]); // no type: nothing to check against
  });
});

describe('typed empty values inside objects merged per key', () => {
  const Site = {
    name: 'Site',
    version: 1,
    fields: {
      title: { type: 'string' as const },
      place: {
        type: 'object' as const,
        fields: {
          name: { type: 'string' as const },
          visits: { type: 'counter' as const },
          tags: { type: 'set' as const, of: { type: 'string' as const } },
          inner: {
            type: 'object' as const,
            fields: { log: { type: 'log' as const, of: { type: 'string' as const } } },
          },
        },
      },
      fixed: { type: 'object' as const, merge: 'lww' as const, fields: { tags: { type: 'set' as const } } },
      preset: {
        type: 'object' as const,
        default: { name: 'HQ' },
        fields: { name: { type: 'string' as const }, visits: { type: 'counter' as const } },
      },
    },
  };
  const read = (values: Record<string, unknown>) =>
    materialize(applyChange(undefined, createInsertChange(clock(), Site, 'site-1', values), Site), Site);

  it('an object nobody set stays absent; a written one gets its unwritten sub-fields, recursively', () => {
    expect(read({ title: 't' })).toEqual({ id: 'site-1', title: 't', preset: { name: 'HQ', visits: 0 } });
    expect(read({ place: { name: 'Depot' } }).place).toEqual({ name: 'Depot', visits: 0, tags: [] });
    expect(read({ place: { inner: {} } }).place).toEqual({ visits: 0, tags: [], inner: { log: [] } });
  });

  it('a whole-value (lww) object reads exactly as written', () => {
    expect(read({ fixed: {} }).fixed).toEqual({});
  });
});
