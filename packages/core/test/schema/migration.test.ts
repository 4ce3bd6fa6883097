import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../src/errors.js';
import { migrateType, validateMigration, validateTypeHistory } from '../../src/schema/migration.js';
import type { MigrationStep } from '../../src/schema/typeDef.js';
import { convertValue } from '../../src/schema/migrationSteps.js';
import type { TypeDef } from '../../src/schema/typeDef.js';
import { TypeRegistry } from '../../src/schema/typeRegistry.js';
import { validateType } from '../../src/schema/validateType.js';
import { deepValue } from '../support/deepValue.js';

const v1: TypeDef = {
  name: 'Inspection',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    notes: { type: 'string' },
    state: { type: 'enum', values: ['open', 'closed'] },
    code: { type: 'string' },
    tags: { type: 'set', of: { type: 'string' } },
  },
};

function rejects(steps: unknown[], path: string, rule: string): void {
  try {
    migrateType(v1, steps as MigrationStep[]);
  } catch (e) {
    expect(e).toBeInstanceOf(SchemaError);
    expect({ path: (e as SchemaError).path, rule: (e as SchemaError).rule }).toEqual({ path, rule });
    return;
  }
  throw new Error('expected a SchemaError');
}

describe('migrations as data', () => {
  it('migrateType builds the next version from steps', () => {
    const v2 = migrateType(v1, [
      { op: 'renameField', from: 'notes', to: 'findings' },
      { op: 'addField', field: 'severity', def: { type: 'enum', values: ['low', 'high'], default: 'low' } },
      {
        op: 'changeType',
        field: 'state',
        def: { type: 'enum', values: ['todo', 'done'] },
        map: { kind: 'enum', values: { open: 'todo', closed: 'done' } },
      },
      {
        op: 'changeType',
        field: 'code',
        def: { type: 'number' },
        map: { kind: 'toNumber', onFail: 'unset' },
      },
      { op: 'changeMerge', field: 'tags', merge: 'lww' },
    ]);
    expect(v2.version).toBe(2);
    expect(Object.keys(v2.fields).sort()).toEqual(['code', 'findings', 'severity', 'state', 'tags', 'title']);
    expect(v2.fields.tags).toEqual({ type: 'set', of: { type: 'string' }, merge: 'lww' });
    validateMigration(v1, JSON.parse(JSON.stringify(v2)) as TypeDef); // types and steps are JSON
    validateTypeHistory([v1, v2]);
  });

  it('rejects invalid definitions with the step and the rule', () => {
    rejects([], 'migrations', 'migration');
    rejects([{ op: 'renameField', from: 'notes', to: 'title' }], 'migrations[0].to', 'exists');
    rejects([{ op: 'renameField', from: 'nope', to: 'x' }], 'migrations[0].from', 'unknown-field');
    rejects([{ op: 'removeField', field: 'nope' }], 'migrations[0].field', 'unknown-field');
    rejects([{ op: 'addField', field: 'title', def: { type: 'string' } }], 'migrations[0].field', 'exists');
    rejects([{ op: 'addField', field: 'x', def: { type: 'money' } }], 'migrations[0].def.type', 'field-type');
    rejects(
      [
        {
          op: 'changeType',
          field: 'state',
          def: { type: 'enum', values: ['todo'] },
          map: { kind: 'enum', values: { open: 'todo' } },
        },
      ],
      'migrations[0].map',
      'mapping',
    );
    rejects(
      [
        {
          op: 'changeType',
          field: 'state',
          def: { type: 'enum', values: ['todo'] },
          map: { kind: 'enum', values: { open: 'todo', closed: 'gone' } },
        },
      ],
      'migrations[0].map.values.closed',
      'mapping',
    );
    rejects([{ op: 'changeType', field: 'code', def: { type: 'number' } }], 'migrations[0].map', 'mapping');
    rejects(
      [{ op: 'changeType', field: 'code', def: { type: 'number' }, map: { kind: 'toNumber' } }],
      'migrations[0].map.onFail',
      'mapping',
    );
    rejects(
      [{ op: 'changeType', field: 'tags', def: { type: 'string' } }],
      'migrations[0].def',
      'change-type',
    );
    rejects([{ op: 'changeMerge', field: 'tags', merge: 'counter' }], 'migrations[0].merge', 'merge-policy');
    rejects([{ op: 'explode', field: 'tags' }], 'migrations[0].op', 'migration');
  });

  it('rejects version gaps and fields that do not match their steps', () => {
    const v2 = migrateType(v1, [{ op: 'removeField', field: 'code' }]);
    const v3 = migrateType(v2, [{ op: 'renameField', from: 'notes', to: 'findings' }]);
    expect(() => validateTypeHistory([v1, v3])).toThrow(/version-gap/);
    expect(() =>
      validateMigration(v1, { ...v2, fields: { ...v2.fields, extra: { type: 'string' } } }),
    ).toThrow(/fields: migration/);
    expect(() => validateTypeHistory([v2])).toThrow(/version-gap/);
    validateTypeHistory([v1, v2, v3]);
  });

  it('converts values with explicit failure rules', () => {
    expect(convertValue({ kind: 'toNumber', onFail: 'unset' }, ' 42 ')).toBe(42);
    expect(convertValue({ kind: 'toNumber', onFail: 'unset' }, '4x')).toBeUndefined();
    expect(convertValue({ kind: 'toNumber', onFail: { default: 0 } }, '')).toBe(0);
    expect(convertValue({ kind: 'toString' }, 3.5)).toBe('3.5');
    expect(convertValue({ kind: 'enum', values: { a: 'b' }, onFail: 'unset' }, 'zzz')).toBeUndefined();
  });
});

describe('TypeRegistry.add', () => {
  it('rejects a definition that is not a valid successor of the known previous version', () => {
    const reg = new TypeRegistry();
    reg.add(v1);
    const bogus: TypeDef = {
      ...v1,
      version: 2,
      migrations: [{ op: 'renameField', from: 'notes', to: 'title' }],
    };
    expect(() => reg.add(bogus)).toThrow(SchemaError);
    const v2 = migrateType(v1, [{ op: 'removeField', field: 'code' }]);
    expect(reg.add(v2)).toBe(true);
    expect(reg.add(JSON.parse(JSON.stringify(v2)) as TypeDef)).toBe(false);
    expect(reg.get('Inspection')?.version).toBe(2);
  });
});

describe('hostile migration steps', () => {
  it('migration steps naming a field or op by a value nested 30,000 levels are a SchemaError (fuzz)', () => {
    const deep = deepValue(30_000);
    for (const step of [
      { op: deep },
      { op: 'removeField', field: deep },
      { op: 'renameField', from: deep, to: 'x' },
    ])
      expect(() => migrateType(v1, [step] as unknown as MigrationStep[])).toThrow(SchemaError);
  });

  it('a step, map or fail rule with a key it does not have is refused (fuzz seed 1436770740)', () => {
    // Unchecked, such a key was hashed with the type: 30,000 levels overflowed typeHash.
    const deep = deepValue(30_000);
    rejects([{ op: 'removeField', field: 'code', note: deep }], 'migrations[0].note', 'unknown-property');
    rejects(
      [
        {
          op: 'changeType',
          field: 'code',
          def: { type: 'number' },
          map: { kind: 'toNumber', onFail: 'unset', x: 1 },
        },
      ],
      'migrations[0].map.x',
      'unknown-property',
    );
    rejects(
      [
        {
          op: 'changeType',
          field: 'code',
          def: { type: 'number' },
          map: { kind: 'toNumber', onFail: { default: 0, x: 1 } },
        },
      ],
      'migrations[0].map.onFail.x',
      'unknown-property',
    );
    const reg = new TypeRegistry();
    reg.add(v1);
    const v2 = { ...v1, version: 2, migrations: [{ op: 'removeField', field: 'code', note: deep }] };
    expect(() => reg.add(v2 as unknown as TypeDef)).toThrow(SchemaError);
  });

  it('steps of a version whose predecessor is not known yet are bounded before hashing (fuzz seed 126726575)', () => {
    // TypeRegistry.add keeps such a version unchecked against its predecessor, but hashes it.
    const step = deepValue(30_000, 'object');
    const v5 = { ...v1, version: 5, migrations: [{ op: 'removeField', field: 'code' }, step] };
    expect(() => new TypeRegistry().add(v5 as unknown as TypeDef)).toThrow(SchemaError);
    try {
      validateType(v5);
    } catch (e) {
      expect({ path: (e as SchemaError).path, rule: (e as SchemaError).rule }).toEqual({
        path: 'migrations',
        rule: 'nesting',
      });
      return;
    }
    throw new Error('expected a SchemaError');
  });
});
