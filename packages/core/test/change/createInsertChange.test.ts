import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';
import { ValidationError } from '../../src/errors.js';
import type { TypeDef } from '../../src/schema/typeDef.js';
import { applyChange } from '../../src/change/applyChange.js';
import type { Intent } from '../../src/change/change.js';
import { createAndApplyInsert } from '../../src/change/createAndApply.js';
import { createChange, createInsertChange } from '../../src/change/createChange.js';

const clockAt = (now: number) => new HybridLogicalClock({ replica: 'anna', now: () => now });

/** The intents a client would build for the same record. */
function setIntents(values: Record<string, unknown>, skip?: string): Intent[] {
  const out: Intent[] = [];
  for (const key in values)
    if (key !== skip && values[key] !== undefined) out.push({ op: 'set', path: [key], value: values[key] });
  return out;
}

const WithDefaults: TypeDef = {
  name: 'Job',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    state: { type: 'enum', values: ['a', 'b'], default: 'a' },
    tags: { type: 'set', of: { type: 'string' }, default: ['x'] },
  },
};

describe('createInsertChange', () => {
  const records: Array<[TypeDef, Record<string, unknown>]> = [
    [WorkOrder, { id: 'doc-1', status: 'open', title: 'Pump', priority: 2, extra: undefined }],
    [
      WorkOrder,
      {
        id: 'doc-2',
        title: 'Seal',
        address: { street: 'Main', city: 'Oslo' },
        tags: ['a', 'b'],
        qty: 3,
        meta: { k: 1 },
        parts: ['p'],
      },
    ],
    [WithDefaults, { title: 't' }],
    [WithDefaults, { title: 't', state: 'b', tags: [] }],
  ];

  it('makes the same change (and the same state) as createChange with set intents', () => {
    for (const [type, rec] of records) {
      const a = createInsertChange(clockAt(1_764_000_000_000), type, 'doc-9', rec, 'id');
      const b = createChange({
        clock: clockAt(1_764_000_000_000),
        type,
        doc: undefined,
        docId: 'doc-9',
        intents: setIntents(rec, 'id'),
      });
      expect(JSON.parse(JSON.stringify(a))).toEqual(JSON.parse(JSON.stringify(b)));
      expect(materialize(applyChange(undefined, a, type), type)).toEqual(
        materialize(applyChange(undefined, b, type), type),
      );
    }
  });

  it('is a plain object: JSON, structured clone and spread see the same change; consecutive inserts share nothing', () => {
    const rec = { id: 'doc-1', status: 'open', title: 'Pump', priority: 2 };
    const a = createInsertChange(clockAt(1_764_000_000_000), WorkOrder, 'doc-1', rec, 'id');
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    const plain = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
    expect(structuredClone(a)).toEqual(plain);
    expect({ ...a }).toEqual(plain);
    expect(Object.keys(a)).toEqual(['id', 'doc', 'type', 'v', 'stamp', 'ops', 'th']);
    expect(a.ops).toEqual({ status: { v: 'open' }, title: { v: 'Pump' }, priority: { v: 2 } });
    const c = createInsertChange(clockAt(1_764_000_000_001), WorkOrder, 'doc-2', { title: 'Seal' });
    const d = createInsertChange(clockAt(1_764_000_000_002), WorkOrder, 'doc-3', {
      title: 'Gasket',
      qty: 1,
      status: 'done',
    });
    expect(a.ops).toEqual({ status: { v: 'open' }, title: { v: 'Pump' }, priority: { v: 2 } });
    expect(c.ops).toEqual({ title: { v: 'Seal' } });
    expect(Object.keys(d.ops)).toEqual(['title', 'qty', 'status']);
    // Nothing is remembered about a change after it is made: replacing its ops is what applies.
    a.ops = { status: { v: 'done' } };
    expect(materialize(applyChange(undefined, a, WorkOrder), WorkOrder)).toEqual({
      id: 'doc-1',
      status: 'done',
      ...{ notes: [], tags: [], qty: 0, body: '', parts: [] }, // typed empty values
    });
  });

  it('createAndApplyInsert gives the change of createInsertChange and the state applyChange makes of it', () => {
    for (const [type, rec] of records) {
      const { change, state } = createAndApplyInsert(clockAt(1_764_000_000_000), type, 'doc-9', rec, 'id');
      const a = createInsertChange(clockAt(1_764_000_000_000), type, 'doc-9', rec, 'id');
      expect(change).toEqual(a);
      expect(encodeDoc(state)).toEqual(encodeDoc(applyChange(undefined, a, type)));
    }
  });

  it('rejects what createChange rejects, before the clock ticks', () => {
    const bad: Array<[TypeDef, Record<string, unknown>, string, string]> = [
      [WorkOrder, { status: 'closed' }, 'status', 'enum'],
      [WorkOrder, { nope: 1 }, 'nope', 'unknown-field'],
      [WorkOrder, { priority: 'high' }, 'priority', 'type'],
      [WorkOrder, { notes: 'n' }, 'notes', 'type'],
      [WithDefaults, { state: 'a' }, 'title', 'required'],
    ];
    for (const [type, rec, path, rule] of bad) {
      const clock = clockAt(1_764_000_000_000);
      let err: unknown;
      try {
        createInsertChange(clock, type, 'doc-9', rec);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).path).toBe(path);
      expect((err as ValidationError).rule).toBe(rule);
      expect(clock.last).toBeUndefined();
    }
    expect(() => createInsertChange(clockAt(1), WorkOrder, 'bad id!', {})).toThrow(ValidationError);
  });
});
