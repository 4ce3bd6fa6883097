import { isRecord } from '../util/json.js';
import type { FieldDef } from '../schema/typeDef.js';

const declared = new WeakMap<Readonly<Record<string, FieldDef>>, string[]>();

function namesOf(fields: Readonly<Record<string, FieldDef>>): string[] {
  let names = declared.get(fields);
  if (names === undefined) declared.set(fields, (names = Object.keys(fields)));
  return names;
}

/**
 * An object value with its keys in the order of its declared sub-fields, recursively: a form
 * shows an address as the type lists street, zip, city, whatever order the value was written
 * or merged in (a per-key object keeps arrival order, PostgreSQL's JSONB sorts keys). Keys the
 * type does not declare follow, as they were. Returns `value` itself when it is already in order
 * (the common case costs one walk and no allocation); otherwise a reordered copy — values read
 * from a state are shared with it and are never changed in place.
 */
export function inFieldOrder(
  value: Record<string, unknown>,
  fields: Readonly<Record<string, FieldDef>>,
): Record<string, unknown> {
  const names = namesOf(fields);
  let j = 0;
  let ordered = true;
  let nested: Map<string, unknown> | undefined;
  for (const key in value) {
    if (ordered) {
      while (j < names.length && names[j] !== key) j++;
      if (j === names.length) ordered = false;
    }
    const def = fields[key];
    const v = value[key];
    if (def?.fields !== undefined && isRecord(v)) {
      const w = inFieldOrder(v, def.fields);
      if (w !== v) (nested ??= new Map()).set(key, w);
    }
  }
  if (ordered && nested === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    out[name] = nested?.has(name) ? nested.get(name) : value[name];
  }
  for (const key in value) if (!Object.prototype.hasOwnProperty.call(fields, key)) out[key] = value[key];
  return out;
}

/** {@link inFieldOrder} for a field's value of any kind: only objects with declared sub-fields change. */
export function fieldValueInOrder(def: FieldDef, value: unknown): unknown {
  return def.fields !== undefined && isRecord(value) ? inFieldOrder(value, def.fields) : value;
}
