import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { docFromJSON, docToJSON } from '../../src/document/docJson.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { DecodeError, FieldsyncError, ValidationError } from '../../src/errors.js';
import { canonicalJson } from '../../src/util/json.js';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change, Intent } from '../../src/change/change.js';
import { createChange } from '../../src/change/createChange.js';
import { parseStamp } from '../../src/clock/stamp.js';
import { deepValue } from '../support/deepValue.js';
import { validateChange } from '../../src/change/validateChange.js';
import { MAX_TYPE_NESTING } from '../../src/schema/validateType.js';

const clock = new HybridLogicalClock({ replica: 'anna', now: () => 1_764_000_000_000 });

function fixture(): { doc: DocState; change: Change } {
  const c0 = createChange({
    clock,
    type: WorkOrder,
    doc: undefined,
    docId: 'wo42',
    intents: [
      { op: 'set', path: ['status'], value: 'open' },
      { op: 'add', path: ['tags'], values: ['pump'] },
    ],
  });
  const doc = applyChange(undefined, c0, WorkOrder);
  const change = JSON.parse(
    JSON.stringify(
      createChange({
        clock,
        type: WorkOrder,
        doc,
        intents: [{ op: 'set', path: ['title'], value: 'Fix pump' }],
      }),
    ),
  ) as Change;
  return { doc, change };
}

/** Asserts `fn` throws a ValidationError with this path and rule and leaves `doc` exactly as it was. */
function rejects(doc: DocState, fn: () => unknown, path: string, rule: string): void {
  const before = canonicalJson(docToJSON(doc));
  const bytes = encodeDoc(doc);
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect({ path: (error as ValidationError).path, rule: (error as ValidationError).rule }).toEqual({
    path,
    rule,
  });
  expect(canonicalJson(docToJSON(doc))).toBe(before);
  expect(encodeDoc(doc)).toEqual(bytes);
}

describe('bad changes are rejected with a typed error and leave the state unchanged', () => {
  it('unknown field', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { ...change.ops, colour: { v: 'red' } } }, WorkOrder),
      'colour',
      'unknown-field',
    );
  });

  it('wrong type, after a valid field (nothing is half-applied)', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { title: { v: 'ok' }, priority: { v: 'high' } } }, WorkOrder),
      'priority',
      'type',
    );
  });

  it('enum value outside the enum', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { status: { v: 'lost' } } }, WorkOrder),
      'status',
      'enum',
    );
  });

  it('malformed stamp, id not equal to stamp, missing ops', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, stamp: '2026-11-25', id: '2026-11-25' }, WorkOrder),
      'change.stamp',
      'stamp',
    );
    rejects(doc, () => applyChange(doc, { ...change, id: 'other' }, WorkOrder), 'change.id', 'id');
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: null } as unknown as Change, WorkOrder),
      'change.ops',
      'type',
    );
  });

  it('a delta of the wrong merge policy', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { tags: { v: ['x'] } } }, WorkOrder),
      'tags',
      'merge-policy',
    );
    // Without a type the stored state decides.
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { tags: { k: 'c', p: 1 } } }),
      'tags',
      'merge-policy',
    );
  });

  it('a change for another document', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, doc: 'other' }, WorkOrder),
      'change.doc',
      'same-document',
    );
  });

  it('a corrupt sequence update', () => {
    const { doc, change } = fixture();
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { body: { k: 't', u: ['AAAA'] } } }, WorkOrder),
      'body',
      'decode',
    );
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { body: { k: 't', u: ['not base64!'] } } }, WorkOrder),
      'body',
      'decode',
    );
  });

  it('createChange: unknown field, wrong type, unset of a required field; the clock does not tick', () => {
    const { doc } = fixture();
    const last = clock.last;
    rejects(
      doc,
      () =>
        createChange({
          clock,
          type: WorkOrder,
          doc,
          intents: [{ op: 'set', path: ['colour'], value: 'red' }],
        }),
      'colour',
      'unknown-field',
    );
    rejects(
      doc,
      () =>
        createChange({
          clock,
          type: WorkOrder,
          doc,
          intents: [{ op: 'set', path: ['address', 'zip'], value: '3000' }],
        }),
      'address.zip',
      'unknown-field',
    );
    rejects(
      doc,
      () =>
        createChange({
          clock,
          type: WorkOrder,
          doc,
          intents: [{ op: 'set', path: ['priority'], value: Number.NaN }],
        }),
      'priority',
      'type',
    );
    rejects(
      doc,
      () => createChange({ clock, type: WorkOrder, doc, intents: [{ op: 'inc', path: ['title'], by: 1 }] }),
      'title',
      'op',
    );
    rejects(
      doc,
      () =>
        createChange({ clock, type: WorkOrder, doc, intents: [{ op: 'set', path: ['notes'], value: [] }] }),
      'notes',
      'append-only',
    );
    const strict = {
      ...WorkOrder,
      fields: { ...WorkOrder.fields, title: { type: 'string' as const, required: true } },
    };
    rejects(
      doc,
      () => createChange({ clock, type: strict, doc, intents: [{ op: 'unset', path: ['title'] }] }),
      'title',
      'required',
    );
    rejects(
      doc,
      () =>
        createChange({
          clock,
          type: strict,
          doc: undefined,
          docId: 'new1',
          intents: [{ op: 'set', path: ['status'], value: 'open' }],
        }),
      'title',
      'required',
    );
    expect(clock.last).toBe(last);
  });

  it('a value nested 30,000 levels where a stamp or a kind belongs is described, not serialised (fuzz seed 395540380)', () => {
    // The error messages quoted the value with JSON.stringify: a RangeError instead of a rejection.
    const { doc, change } = fixture();
    const deep = deepValue(30_000);
    rejects(
      doc,
      () => applyChange(doc, { ...change, stamp: deep } as unknown as Change, WorkOrder),
      'change.stamp',
      'stamp',
    );
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { title: { k: deep } } } as unknown as Change),
      'title',
      'delta',
    );
    expect(() => docFromJSON({ ...docToJSON(doc), fields: { title: { k: deep } } })).toThrow(DecodeError);
    expect(() => parseStamp(deep as string)).toThrow(ValidationError);
    expect(() => clock.receive(deep as string)).toThrow(ValidationError);
    expect(() =>
      createChange({ clock, type: WorkOrder, doc, intents: [{ op: deep } as unknown as Intent] }),
    ).toThrow(ValidationError);
    expect(() =>
      createChange({ clock, type: WorkOrder, doc, intents: [{ op: 'set', path: ['status'], value: deep }] }),
    ).toThrow(ValidationError);
  });

  it('an object field nested 30,000 levels is rejected (rule nesting), not a stack overflow (fuzz seeds 1395550023, 1298228937)', () => {
    // `{ k: 'o', f: { a: { k: 'o', f: { a: … } } } }`: checked by recursion once per level.
    const { doc, change } = fixture();
    let deep: unknown = { v: 1 };
    for (let i = 0; i < 30_000; i++) deep = { k: 'o', f: { a: deep } };
    const nesting = 'meta' + '.a'.repeat(MAX_TYPE_NESTING);
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: { meta: deep } } as unknown as Change),
      nesting,
      'nesting',
    );
    expect(() => validateChange({ ...change, ops: { x: deep } })).toThrow(/nesting/);
    let error: unknown;
    try {
      docFromJSON({ ...docToJSON(doc), fields: { meta: deep } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).rule).toBe('nesting');
  });

  it('a `__proto__` key in a change or a stored state is refused (rule reserved) (fuzz seed 149707366)', () => {
    // Joined in as `f[key] = …`, it replaced the prototype of the document's field map: a
    // TypeError later, or any key of the value showing up as a field.
    const { doc, change } = fixture();
    const own = (json: string): Record<string, unknown> => JSON.parse(json) as Record<string, unknown>;
    const v = `{"v":"x"}`;
    rejects(
      doc,
      () => applyChange(doc, { ...change, ops: own(`{"__proto__":${v}}`) }),
      '__proto__',
      'reserved',
    );
    for (const field of ['address', 'meta']) {
      const ops = { [field]: { k: 'o', f: own(`{"__proto__":${v}}`) } };
      rejects(
        doc,
        () => applyChange(doc, { ...change, ops } as unknown as Change),
        `${field}.__proto__`,
        'reserved',
      );
      rejects(
        doc,
        () => applyChange(doc, { ...change, ops } as unknown as Change, WorkOrder),
        `${field}.__proto__`,
        'reserved',
      );
    }
    const json = docToJSON(doc);
    const stamp = (json.fields.status as { s: string }).s;
    for (const fields of [
      own(`{"__proto__":{"v":1,"s":"${stamp}"}}`),
      { address: { k: 'o', f: own(`{"__proto__":{"v":1,"s":"${stamp}"}}`) } },
    ]) {
      let error: unknown;
      try {
        docFromJSON({ ...json, fields });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).rule).toBe('reserved');
    }
  });

  it('a field or key named like an inherited member (toString, constructor) is refused (fuzz seed 1073273348)', () => {
    // Fields and registers are looked up by name in plain objects: where such a field was absent
    // the lookup found Object.prototype's member, and the document took it for a stored state.
    const { doc, change } = fixture();
    for (const name of ['toString', 'constructor', 'valueOf', 'hasOwnProperty']) {
      rejects(doc, () => applyChange(doc, { ...change, ops: { [name]: {} } }), name, 'reserved');
      rejects(
        doc,
        () => applyChange(doc, { ...change, ops: { [name]: { v: 1 } } }, WorkOrder),
        name,
        'reserved',
      );
      for (const field of ['address', 'meta'])
        rejects(
          doc,
          () =>
            applyChange(
              doc,
              { ...change, ops: { [field]: { k: 'o', f: { [name]: { v: 'x' } } } } },
              WorkOrder,
            ),
          `${field}.${name}`,
          'reserved',
        );
      const json = docToJSON(doc);
      const register = { v: 1, s: (json.fields.status as { s: string }).s };
      expect(() => docFromJSON({ ...json, fields: { [name]: register } })).toThrow(/reserved/);
      expect(() => docFromJSON({ ...json, fields: { meta: { k: 'o', f: { [name]: register } } } })).toThrow(
        /reserved/,
      );
    }
  });

  it('docFromJSON rejects malformed documents', () => {
    const { doc } = fixture();
    const json = docToJSON(doc);
    expect(() => docFromJSON({ ...json, id: '' })).toThrow(ValidationError);
    expect(() => docFromJSON({ ...json, fields: { status: { v: 'x', s: 'nope' } } })).toThrow(
      ValidationError,
    );
    expect(() => docFromJSON({ ...json, fields: { tags: { k: '?' } } })).toThrow(FieldsyncError);
    expect(() =>
      docFromJSON({ ...json, deleted: { v: 'yes', s: (json.fields.status as { s: string }).s } }),
    ).toThrow(ValidationError);
  });
});
