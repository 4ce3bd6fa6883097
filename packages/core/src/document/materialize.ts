import { fillEmpty, readDefault } from '../schema/emptyValue.js';
import { policyOf, type FieldDef, type TypeDef } from '../schema/typeDef.js';
import { isRecord } from '../util/json.js';
import { UNSET, type DocState } from './docState.js';
import { fieldValueInOrder } from './fieldOrder.js';
import { defineDeferred, deferredField } from './deferredValue.js';
import { materializeField } from './fields.js';

/** What apps read: the document's id and its fields as plain values. */
export type Materialized = { id: string } & Record<string, unknown>;

/**
 * Plain values of a document: text → string, list → array, log → entries `{ id, stamp, value }`,
 * set → array, counter → number, object → record; unset fields are absent. With `type`, fields
 * absent from the state take the type's `default` (so a field added by a migration reads its
 * default without rewriting old documents), else, for list, set, log, text and counter fields,
 * their typed empty value (`[]`, `''`, `0`: see `emptyValue`; also for the declared sub-fields of
 * a per-key object), and fields the type does not declare are left out (they stay in the state).
 * With `type` the fields come in the type's order, and objects in the order of their declared
 * sub-fields (field order is part of the type: docs/schema.md), whatever order they were written in. Hidden data of migrated fields (`$h:…`) is never shown. A deleted document still materializes; check `isDeleted`.
 * Values are shared with the state, not copied: do not mutate them. A text or list field whose
 * state was loaded from bytes and not used yet is a property built on first read (see
 * `defineDeferred`), with the value the state had when this was called.
 */
export function materialize(doc: DocState, type?: TypeDef): Materialized {
  const out: Materialized = { id: doc.id };
  const r = doc.r;
  const fields = doc.fields;
  if (type === undefined) {
    for (const key in r) {
      const v = r[key];
      if (v !== undefined && v !== UNSET) out[key] = v;
    }
    for (const key in fields) {
      if (key.charCodeAt(0) === 36) continue; // hidden data of migrated fields
      const later = deferredField(fields[key]);
      if (later !== undefined) {
        defineDeferred(out, key, later);
        continue;
      }
      const v = materializeField(fields[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  for (const key in type.fields) {
    const def = type.fields[key] as FieldDef;
    let v = r[key];
    if (v === UNSET) v = undefined;
    else if (v === undefined && fields[key] !== undefined) {
      const later = deferredField(fields[key]);
      if (later !== undefined) {
        // Never undefined (a text or list), so no default applies.
        defineDeferred(out, key, () => fieldValueInOrder(def, later()));
        continue;
      }
      v = materializeField(fields[key]);
      // A per-key object is materialized fresh: its unwritten declared sub-fields can be filled.
      if (def.fields !== undefined && policyOf(def) === 'object' && isRecord(v)) fillEmpty(v, def.fields);
    }
    if (v === undefined) v = readDefault(def);
    if (v !== undefined) out[key] = fieldValueInOrder(def, v);
  }
  return out;
}
