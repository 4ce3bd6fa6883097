import type { FieldDef } from './typeDef.js';

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
 * What a field reads as when its state has no value: a copy of its declared `default`, or its
 * {@link emptyValue}.
 */
export function readDefault(def: FieldDef): unknown {
  return def.default !== undefined ? structuredClone(def.default) : emptyValue(def);
}
