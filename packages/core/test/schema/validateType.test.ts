import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { deepValue } from '../support/deepValue.js';
import { SchemaError, ValidationError } from '../../src/errors.js';
import { defaultPolicy } from '../../src/schema/typeDef.js';
import { validateDocument } from '../../src/schema/validateDocument.js';
import { MAX_TYPE_NESTING, isFieldName, validateType } from '../../src/schema/validateType.js';
import { validateValue } from '../../src/schema/validateValue.js';

function schemaError(def: unknown): { path: string; rule: string } {
  try {
    validateType(def);
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    return { path: (e as SchemaError).path, rule: (e as SchemaError).rule };
  }
  throw new Error('expected a SchemaError');
}

describe('validateType', () => {
  it('accepts the work order type (JSON round-tripped: types are data)', () => {
    validateType(JSON.parse(JSON.stringify(WorkOrder)));
  });

  it('names the path and the rule of what is wrong', () => {
    expect(schemaError({ ...WorkOrder, name: '1x' })).toEqual({ path: 'name', rule: 'name' });
    expect(schemaError({ ...WorkOrder, version: 0 })).toEqual({ path: 'version', rule: 'version' });
    expect(schemaError({ ...WorkOrder, fields: { a: { type: 'money' } } })).toEqual({
      path: 'a.type',
      rule: 'field-type',
    });
    expect(schemaError({ ...WorkOrder, fields: { a: { type: 'enum', values: [] } } })).toEqual({
      path: 'a.values',
      rule: 'enum',
    });
    expect(schemaError({ ...WorkOrder, fields: { a: { type: 'log', merge: 'lww' } } })).toEqual({
      path: 'a.merge',
      rule: 'merge-policy',
    });
    expect(schemaError({ ...WorkOrder, fields: { a: { type: 'string', default: 3 } } })).toEqual({
      path: 'a.default',
      rule: 'default',
    });
    expect(schemaError({ ...WorkOrder, fields: { a: { type: 'reference' } } })).toEqual({
      path: 'a.to',
      rule: 'reference',
    });
    expect(
      schemaError({ ...WorkOrder, fields: { a: { type: 'object', fields: { $b: { type: 'string' } } } } }),
    ).toEqual({ path: 'a.$b', rule: 'name' });
    expect(schemaError({ ...WorkOrder, fields: { a: { type: 'string', colour: 'red' } } })).toEqual({
      path: 'a.colour',
      rule: 'unknown-property',
    });
    expect(schemaError({ ...WorkOrder, fields: { id: { type: 'string' } } })).toEqual({
      path: 'id',
      rule: 'reserved',
    });
  });

  it('refuses __proto__ as a type or field name (a definition from another device must not rewire prototypes)', () => {
    // JSON.parse makes `__proto__` an own key, which is how such a definition would arrive.
    const fields = JSON.parse('{"__proto__":{"type":"string"}}') as Record<string, unknown>;
    expect(schemaError({ ...WorkOrder, fields })).toEqual({ path: '__proto__', rule: 'reserved' });
    const nested = JSON.parse('{"a":{"type":"object","fields":{"__proto__":{"type":"number"}}}}') as Record<
      string,
      unknown
    >;
    expect(schemaError({ ...WorkOrder, fields: nested })).toEqual({ path: 'a.__proto__', rule: 'reserved' });
    expect(schemaError({ ...WorkOrder, name: '__proto__' })).toEqual({ path: 'name', rule: 'reserved' });
    expect(isFieldName('__proto__')).toBe(false);
    expect(isFieldName('proto')).toBe(true);
  });

  it('bounds nesting: 32 levels of objects and item types pass, 20,000 are a `nesting` error, not a stack overflow', () => {
    const nest = (levels: number, kind: 'object' | 'list'): unknown => {
      let f: unknown = { type: 'string' };
      for (let i = 1; i < levels; i++)
        f = kind === 'object' ? { type: 'object', fields: { a: f } } : { type: 'list', of: f };
      return f;
    };
    expect(() =>
      validateType({ name: 'T', version: 1, fields: { a: nest(MAX_TYPE_NESTING, 'object') } }),
    ).not.toThrow();
    expect(() =>
      validateType({ name: 'T', version: 1, fields: { a: nest(MAX_TYPE_NESTING, 'list') } }),
    ).not.toThrow();
    for (const kind of ['object', 'list'] as const) {
      try {
        validateType({ name: 'T', version: 1, fields: { a: nest(20_000, kind) } });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SchemaError);
        expect((e as SchemaError).rule).toBe('nesting');
      }
    }
  });

  it('documents the default policy per field type', () => {
    expect(
      ['string', 'number', 'boolean', 'date', 'enum', 'reference'].map((t) => defaultPolicy(t as 'string')),
    ).toEqual(Array(6).fill('lww'));
    expect(defaultPolicy('object')).toBe('object');
    expect(defaultPolicy('text')).toBe('sequence');
    expect(defaultPolicy('list')).toBe('sequence');
    expect(defaultPolicy('log')).toBe('log');
    expect(defaultPolicy('set')).toBe('set');
    expect(defaultPolicy('counter')).toBe('counter');
  });
});

describe('validateValue', () => {
  it('checks dates, references and nested objects with paths', () => {
    validateValue({ type: 'date' }, '2026-11-25T10:00:00Z', 'due');
    expect(() => validateValue({ type: 'date' }, '25.11.2026', 'due')).toThrow(ValidationError);
    expect(() => validateValue({ type: 'reference', to: 'Site' }, 'has space', 'site')).toThrow(/site: type/);
    expect(() => validateValue(WorkOrder.fields.address as never, { street: 1 }, 'address')).toThrow(
      /address\.street: type/,
    );
    expect(() => validateValue({ type: 'list', of: { type: 'number' } }, [1, 'x'], 'parts')).toThrow(
      /parts\[1\]: type/,
    );
  });
});

describe('validateDocument', () => {
  it('rejects unknown fields, missing required fields and wrong values, naming the field', () => {
    const type = {
      ...WorkOrder,
      fields: { ...WorkOrder.fields, title: { type: 'string' as const, required: true } },
    };
    validateDocument({ id: 'x', title: 'Pump', status: 'open', address: { city: 'Bern' } }, type);
    expect(() => validateDocument({ title: 'Pump', colour: 'red' }, type)).toThrow(/colour: unknown-field/);
    expect(() => validateDocument({ status: 'open' }, type)).toThrow(/title: required/);
    expect(() => validateDocument({ title: 'Pump', status: 'lost' }, type)).toThrow(/status: enum/);
  });
});

describe('hostile definitions', () => {
  it('a type or policy nested 30,000 levels deep is a SchemaError, not a stack overflow (fuzz seed 530845174)', () => {
    const deep = deepValue(30_000);
    expect(schemaError({ name: 'T', version: 1, fields: { a: { type: deep } } })).toEqual({
      path: 'a.type',
      rule: 'field-type',
    });
    expect(schemaError({ name: 'T', version: 1, fields: { a: { type: 'string', merge: deep } } }).rule).toBe(
      'merge-policy',
    );
    expect(() => validateValue({ type: 'enum', values: ['a'] }, deep, 'e')).toThrow(ValidationError);
  });

  it('field names every object inherits are reserved (fuzz seed 1073273348)', () => {
    for (const name of ['toString', 'constructor', 'valueOf'])
      expect(schemaError({ name: 'T', version: 1, fields: { [name]: { type: 'string' } } })).toEqual({
        path: name,
        rule: 'reserved',
      });
    expect(isFieldName('toString')).toBe(false);
  });
});
