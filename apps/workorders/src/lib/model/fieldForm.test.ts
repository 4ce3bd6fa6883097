import { describe, expect, it } from 'vitest';
import { checkField, checkRecord, fieldOfPath, fromRaw, recordTitle, toRaw } from './fieldForm.js';
import { toFieldDef, emptyDraft } from './fieldDraft.js';
import type { TypeDef } from '@fieldsync/core';

const inspection: TypeDef = {
  name: 'Inspection',
  version: 1,
  fields: {
    result: { type: 'enum', values: ['pass', 'fail'], required: true },
    score: { type: 'number', default: 5 },
    findings: { type: 'text' },
    tags: { type: 'set', of: { type: 'string' } },
  },
};

describe('generated form values', () => {
  it('reads numbers, item lists and empties as the field kind means them', () => {
    const f = inspection.fields;
    expect(fromRaw(f.score!, ' 12.5 ')).toBe(12.5);
    expect(fromRaw(f.score!, '')).toBeUndefined();
    expect(fromRaw(f.tags!, 'pump, seal ,, valve')).toEqual(['pump', 'seal', 'valve']);
    expect(toRaw(f.tags!, ['pump', 'seal'])).toBe('pump, seal');
    // Text that is not a number is passed on, for the type's own rule to refuse.
    expect(fromRaw(f.score!, 'abc')).toBe('abc');
  });

  it("reports each field's error with the type's path, rule and message", () => {
    const errors = checkRecord(inspection, { score: 'abc' });
    expect(errors.result).toMatchObject({ path: 'result', rule: 'required' });
    expect(errors.score).toMatchObject({ path: 'score', rule: 'type' });
    expect(errors.score?.message).toContain('score: type:');
    expect(checkField('result', inspection.fields.result!, 'maybe')).toMatchObject({ rule: 'enum' });
    expect(checkRecord(inspection, { result: 'pass' })).toEqual({});
  });

  it('maps write-error paths to their top-level field and titles records', () => {
    expect(fieldOfPath('$set.address.city')).toBe('address');
    expect(fieldOfPath('tags[2]')).toBe('tags');
    expect(recordTitle(inspection, { id: 'x', findings: 'All fine\nsecond line', result: 'pass' })).toBe(
      'All fine',
    );
    expect(recordTitle(inspection, { id: 'x' })).toBe('x');
  });
});

describe('field drafts', () => {
  it('turn into field definitions with parsed defaults and enum values', () => {
    expect(
      toFieldDef({ ...emptyDraft(), name: 'r', type: 'enum', values: 'pass, fail,', default: 'pass' }),
    ).toEqual({
      type: 'enum',
      values: ['pass', 'fail'],
      default: 'pass',
    });
    expect(toFieldDef({ ...emptyDraft(), type: 'number', default: '5', required: true })).toEqual({
      type: 'number',
      required: true,
      default: 5,
    });
    expect(toFieldDef({ ...emptyDraft(), type: 'boolean', default: 'false' })).toEqual({
      type: 'boolean',
      default: false,
    });
  });
});
