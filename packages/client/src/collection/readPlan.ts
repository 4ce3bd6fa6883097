import type { FieldDef, TypeDef } from '@fieldsync/core';
import { fieldValueInOrder, readDefault } from '@fieldsync/core';
import { compileFiller, compileReader, type ReadPlan } from './rowReader.js';

/**
 * How plain rows of `type` are read: the column (`columnOf`, -1 when no row has the field yet)
 * and default of each declared field, in the type's field order. `columns` is the number of
 * columns now, so the row store can tell when a new column may hold a declared field.
 */
export function readPlanFor(type: TypeDef, columnOf: ReadonlyMap<string, number>, columns: number): ReadPlan {
  const keys: string[] = [];
  const cols: number[] = [];
  const defaults: unknown[] = [];
  const order: (((v: unknown) => unknown) | undefined)[] = [];
  for (const key in type.fields) {
    keys.push(key);
    cols.push(columnOf.get(key) ?? -1);
    // Never-written collection, text and counter fields read as [], '' or 0 (core's
    // `materialize` does the same): compiled into the reader as literals, not a loop per read.
    const def = type.fields[key] as FieldDef;
    defaults.push(fieldValueInOrder(def, readDefault(def)));
    // A whole-value object with declared sub-fields reads in their order (as `materialize`).
    order.push(def.fields === undefined ? undefined : (v) => fieldValueInOrder(def, v));
  }
  return {
    version: type.version,
    columns,
    keys,
    read: compileReader(keys, cols, defaults, order),
    fill: compileFiller(keys, cols, defaults),
  };
}
