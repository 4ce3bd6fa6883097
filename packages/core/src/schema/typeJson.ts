import { canonicalJson, isRecord } from '../util/json.js';
import type { FieldDef, TypeDef } from './typeDef.js';

/**
 * The canonical JSON of a type definition, in which field order counts: every key is sorted
 * (as in `canonicalJson`) except the names in a `fields` map, which keep their declared order,
 * because the order of `fields` is what every list and form shows (docs/schema.md, "Field
 * order"). Two definitions that differ only in field order are different definitions. A type
 * whose fields are declared in sorted order gives exactly its `canonicalJson`, so hashes of
 * such types did not change when order became part of the type.
 */
export function typeJson(def: TypeDef): string {
  return objectJson(def as unknown as Record<string, unknown>, typeMember);
}

/** The order-keeping canonical JSON of a `fields` map (see {@link typeJson}). */
export function fieldsJson(fields: Readonly<Record<string, FieldDef>>): string {
  let out = '{';
  let first = true;
  for (const name in fields) {
    const def = fields[name];
    if (def === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(name) + ':' + fieldDefJson(def);
    first = false;
  }
  return out + '}';
}

function fieldDefJson(def: unknown): string {
  return isRecord(def) ? objectJson(def, fieldMember) : canonicalJson(def);
}

/** Members of a TypeDef: `fields` keeps order; each migration step's `def` is a field definition. */
function typeMember(key: string, value: unknown): string {
  if (key === 'fields' && isRecord(value)) return fieldsJson(value as Record<string, FieldDef>);
  if (key === 'migrations' && Array.isArray(value))
    return `[${value.map((s) => (isRecord(s) ? objectJson(s, stepMember) : canonicalJson(s))).join(',')}]`;
  return canonicalJson(value);
}

function stepMember(key: string, value: unknown): string {
  return key === 'def' ? fieldDefJson(value) : canonicalJson(value);
}

function fieldMember(key: string, value: unknown): string {
  if (key === 'fields' && isRecord(value)) return fieldsJson(value as Record<string, FieldDef>);
  if (key === 'of') return fieldDefJson(value);
  return canonicalJson(value);
}

function objectJson(rec: Record<string, unknown>, member: (key: string, value: unknown) => string): string {
  const keys = Object.keys(rec).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    if (rec[k] === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + member(k, rec[k]);
    first = false;
  }
  return out + '}';
}
