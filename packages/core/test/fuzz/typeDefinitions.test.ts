import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SchemaError } from '../../src/errors.js';
import { migrateType } from '../../src/schema/migration.js';
import type { MigrationStep, TypeDef } from '../../src/schema/typeDef.js';
import { typeHash } from '../../src/schema/typeHash.js';
import { TypeRegistry } from '../../src/schema/typeRegistry.js';
import { validateType } from '../../src/schema/validateType.js';
import { WorkOrder } from '../support/workOrder.js';
import { fuzzParams, fuzzTimeout } from './fuzzRuns.js';
import { isDeep } from './hostileValues.js';
import { jsonMutation, mutateJson } from './jsonMutations.js';

/**
 * Fuzzing of type definitions, which travel between devices as data (`PUT /v1/types`, pull
 * pages): `validateType` and `TypeRegistry.add` on the work order type (every field type) and a
 * second version with migration steps, with parts replaced by hostile values — unknown field
 * types, `__proto__` names, definitions nested 30,000 levels, oversized enums.
 *
 * Property: a definition is refused with a `SchemaError` naming a path and a rule, or accepted;
 * an accepted one hashes stably, is known when added again, and the registry is unchanged by a
 * refused one.
 */

const v2 = migrateType(WorkOrder, [
  { op: 'renameField', from: 'title', to: 'heading' },
  { op: 'addField', field: 'code', def: { type: 'string', default: 'x' } },
] as MigrationStep[]);

function schemaChecked<T>(f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    expect(typeof e.path).toBe('string');
    expect(e.rule).toMatch(/^[a-z-]+$/);
    return null;
  }
}

describe('fuzzing type definitions', () => {
  const params = fuzzParams('mutated type definitions', 200);
  it(
    'mutated definitions are a SchemaError naming path and rule, or a usable type',
    () => {
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.array(jsonMutation(['fields', 'migrations']), { minLength: 1, maxLength: 3 }),
          (second, mutations) => {
            const def = mutateJson(second ? v2 : WorkOrder, mutations) as TypeDef;
            const deep = mutations.some((mu) => 'to' in mu && isDeep(mu.to));
            const before = deep ? undefined : JSON.stringify(def);
            const reg = new TypeRegistry();
            reg.add(WorkOrder);
            const known = reg.get('WorkOrder', 1);
            const valid = schemaChecked(() => validateType(def)) !== null;
            const added = schemaChecked(() => reg.add(def));
            if (before !== undefined) expect(JSON.stringify(def)).toBe(before);
            if (added === null) {
              expect(reg.get('WorkOrder')).toBe(known);
              return;
            }
            expect(valid).toBe(true);
            const hash = typeHash(def);
            if (deep) return; // (a copy needs JSON.stringify, which cannot go that deep)
            const copy = JSON.parse(JSON.stringify(def)) as TypeDef;
            expect(typeHash(copy)).toBe(hash);
            expect(reg.add(copy)).toBe(false);
          },
        ),
        params,
      );
    },
    fuzzTimeout(params, 20),
  );
});
