import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { applyChange } from '../../src/change/applyChange.js';
import { createChange } from '../../src/change/createChange.js';
import { inFieldOrder } from '../../src/document/fieldOrder.js';
import { materialize } from '../../src/document/materialize.js';
import { SchemaError } from '../../src/errors.js';
import { canonicalJson } from '../../src/util/json.js';
import { migrateType, validateMigration } from '../../src/schema/migration.js';
import type { TypeDef } from '../../src/schema/typeDef.js';
import { typeHash } from '../../src/schema/typeHash.js';
import { TypeRegistry } from '../../src/schema/typeRegistry.js';
import { typeJson } from '../../src/schema/typeJson.js';

const V1: TypeDef = {
  name: 'Visit',
  version: 1,
  fields: {
    siteAddress: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'string' },
    a: { type: 'string' },
    notes: { type: 'string' },
  },
};
const keys = (x: object): string[] => Object.keys(x);

describe('field order is part of the type', () => {
  it('migration steps keep order: rename in place, add at the end or where named, remove leaves the rest', () => {
    const v2 = migrateType(V1, [
      { op: 'renameField', from: 'status', to: 'state' },
      { op: 'addField', field: 'z', def: { type: 'string' } },
      { op: 'addField', field: 'crew', def: { type: 'string' }, after: 'title' },
      { op: 'addField', field: 'first', def: { type: 'string' }, before: 'siteAddress' },
      { op: 'removeField', field: 'a' },
      { op: 'changeType', field: 'title', def: { type: 'string', required: false } },
    ]);
    expect(keys(v2.fields)).toEqual(['first', 'siteAddress', 'title', 'crew', 'state', 'notes', 'z']);
    expect(() => validateMigration(V1, v2)).not.toThrow();
  });

  it('a position naming no field, or both after and before, is a SchemaError naming the step', () => {
    const bad = (step: object, path: string, rule: string) => {
      try {
        migrateType(V1, [step as never]);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SchemaError);
        expect(e).toMatchObject({ path, rule });
      }
    };
    bad(
      { op: 'addField', field: 'x', def: { type: 'string' }, after: 'nope' },
      'migrations[0].after',
      'unknown-field',
    );
    bad(
      { op: 'addField', field: 'x', def: { type: 'string' }, before: 3 },
      'migrations[0].before',
      'position',
    );
    bad(
      { op: 'addField', field: 'x', def: { type: 'string' }, after: 'title', before: 'a' },
      'migrations[0].before',
      'position',
    );
  });

  it('a successor whose fields are in another order than its steps make is refused', () => {
    const v2 = migrateType(V1, [{ op: 'addField', field: 'b', def: { type: 'number' } }]);
    const { b, ...rest } = v2.fields;
    const shuffled: TypeDef = { ...v2, fields: { b: b!, ...rest } };
    expect(() => validateMigration(V1, shuffled)).toThrow(
      expect.objectContaining({ rule: 'migration', path: 'fields' }),
    );
  });

  it('the hash sees field order (nested too); a type declared in sorted order keeps its old hash', () => {
    const reordered: TypeDef = { ...V1, fields: { a: V1.fields['a']!, ...V1.fields } };
    expect(typeHash(reordered)).not.toBe(typeHash(V1));
    const sorted: TypeDef = {
      name: 'S',
      version: 1,
      fields: {
        a: { type: 'object', fields: { x: { type: 'string' }, y: { type: 'string' } } },
        b: { type: 'string' },
      },
    };
    expect(typeJson(sorted)).toBe(canonicalJson(sorted));
    const nested: TypeDef = {
      ...sorted,
      fields: {
        ...sorted.fields,
        a: { type: 'object', fields: { y: { type: 'string' }, x: { type: 'string' } } },
      },
    };
    expect(typeHash(nested)).not.toBe(typeHash(sorted));
  });

  it('two version-1 definitions that differ only in order are both kept, and every replica picks the same', () => {
    const other: TypeDef = { ...V1, fields: { notes: V1.fields['notes']!, ...V1.fields } };
    const x = new TypeRegistry();
    x.add(V1);
    expect(x.add(other)).toBe(true);
    const y = new TypeRegistry();
    y.add(other);
    y.add(V1);
    expect(keys(x.get('Visit')!.fields)).toEqual(keys(y.get('Visit')!.fields));
  });

  it('materialize lists fields in the type order and objects in their sub-fields order, whatever the write order', () => {
    const type: TypeDef = {
      name: 'T',
      version: 1,
      fields: {
        zone: { type: 'string' },
        address: {
          type: 'object',
          fields: {
            street: { type: 'string' },
            geo: { type: 'object', fields: { lat: { type: 'number' }, lng: { type: 'number' } } },
            city: { type: 'string' },
          },
        },
        contact: {
          type: 'object',
          merge: 'lww',
          fields: { phone: { type: 'string' }, name: { type: 'string' } },
        },
        b: { type: 'string' },
      },
    };
    const clock = new HybridLogicalClock({ replica: 'r1' });
    const c1 = createChange({
      clock,
      type,
      doc: undefined,
      intents: [
        { op: 'set', path: ['b'], value: 'x' },
        { op: 'set', path: ['contact'], value: { name: 'Ann', phone: '1' } },
        { op: 'set', path: ['address', 'city'], value: 'Graz' },
      ],
    });
    let doc = applyChange(undefined, c1, type);
    const c2 = createChange({
      clock,
      type,
      doc,
      docId: doc.id,
      intents: [
        { op: 'set', path: ['address', 'geo'], value: { lng: 15, lat: 47 } },
        { op: 'set', path: ['address', 'street'], value: 'Main' },
        { op: 'set', path: ['zone'], value: 'Z' },
      ],
    });
    doc = applyChange(doc, c2, type);
    const m = materialize(doc, type);
    expect(keys(m)).toEqual(['id', 'zone', 'address', 'contact', 'b']);
    expect(keys(m['address'] as object)).toEqual(['street', 'geo', 'city']);
    expect(keys((m['address'] as Record<string, object>)['geo']!)).toEqual(['lat', 'lng']);
    expect(keys(m['contact'] as object)).toEqual(['phone', 'name']);
  });

  it('inFieldOrder returns the same object when already in order, undeclared keys last', () => {
    const fields = { p: { type: 'string' as const }, q: { type: 'string' as const } };
    const v = { p: 1, q: 2 };
    expect(inFieldOrder(v, fields)).toBe(v);
    expect(keys(inFieldOrder({ extra: 0, q: 2, p: 1 }, fields))).toEqual(['p', 'q', 'extra']);
  });
});
