import { isRecord } from '../util/json.js';
import { policyOf, type FieldDef } from './typeDef.js';

/**
 * What a collection, text or counter field reads as before anything was written to it: `[]`
 * for list, set and log, `''` for text, `0` for counter; `undefined` for every other field
 * (a scalar or object nobody set is absent, not a made-up value). UI code can then write
 * `doc.history.map(…)` or `doc.visits + 1` on a new document without a guard, and a field
 * that was emptied reads the same as one never written. A fresh array on each call, so a
 * caller may hand it out.
 */
export function emptyValue(def: FieldDef): unknown {
  switch (def.type) {
    case 'list':
    case 'set':
    case 'log':
      return [];
    case 'text':
      return '';
    case 'counter':
      return 0;
    default:
      return undefined;
  }
}

/**
 * What a field reads as when its state has no value: a copy of its declared `default` (an
 * object's declared sub-fields filled as by {@link fillEmpty}), or its {@link emptyValue}.
 */
export function readDefault(def: FieldDef): unknown {
  if (def.default === undefined) return emptyValue(def);
  const value = structuredClone(def.default);
  if (def.fields !== undefined && policyOf(def) === 'object' && isRecord(value)) fillEmpty(value, def.fields);
  return value;
}

/**
 * Gives the declared sub-fields that `record` lacks their {@link readDefault}, recursing into
 * sub-objects merged per key. Only for a record the caller owns (a per-key object's materialized
 * value is built fresh on each read; a whole-value (`lww`) object is shared with the state and
 * is left as written).
 */
export function fillEmpty(record: Record<string, unknown>, fields: Readonly<Record<string, FieldDef>>): void {
  for (const key in fields) {
    const def = fields[key] as FieldDef;
    const value = record[key];
    if (value === undefined) {
      const d = readDefault(def);
      if (d !== undefined) record[key] = d;
    } else if (def.fields !== undefined && policyOf(def) === 'object' && isRecord(value))
      fillEmpty(value, def.fields);
  }
}
