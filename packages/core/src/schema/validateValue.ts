import { ValidationError } from '../errors.js';
import { isDocId } from '../ids.js';
import { isJson, isRecord } from '../util/json.js';
import type { FieldDef } from './typeDef.js';
import { describeValue } from '../util/describeValue.js';

/** ISO-8601 date or date-time (compiled once; dates are validated on every write). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

function fail(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/** Joins a field path for error messages: `address.city`, `tags[2]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/**
 * Checks a plain value (what an app writes or reads) against a field definition. Throws
 * `ValidationError` naming the path and the rule: `type`, `enum`, `unknown-field`, `required`,
 * `format`. Structured fields take their plain form: text → string, list/set/log → array,
 * counter → number, object → record.
 */
export function validateValue(def: FieldDef, value: unknown, path: string): void {
  switch (def.type) {
    case 'string':
    case 'text':
      if (typeof value !== 'string') fail(path, 'type', `expected a string, got ${describeValue(value)}`);
      return;
    case 'number':
    case 'counter':
      if (typeof value !== 'number' || !Number.isFinite(value))
        fail(path, 'type', `expected a finite number, got ${describeValue(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(path, 'type', `expected a boolean, got ${describeValue(value)}`);
      return;
    case 'date':
      if (typeof value !== 'string' || !ISO_DATE.test(value) || Number.isNaN(Date.parse(value))) {
        fail(path, 'format', `expected an ISO-8601 date string, got ${describeValue(value)}`);
      }
      return;
    case 'enum':
      if (typeof value !== 'string')
        fail(path, 'type', `expected one of the enum values, got ${describeValue(value)}`);
      if (!def.values?.includes(value))
        fail(path, 'enum', `${describeValue(value)} is not one of ${JSON.stringify(def.values)}`);
      return;
    case 'reference':
      if (!isDocId(value)) fail(path, 'type', `expected a document id, got ${describeValue(value)}`);
      return;
    case 'object':
      validateObject(def, value, path);
      return;
    case 'list':
    case 'set':
    case 'log':
      if (!Array.isArray(value)) fail(path, 'type', `expected an array, got ${describeValue(value)}`);
      for (let i = 0; i < value.length; i++) validateItem(def, value[i], joinPath(path, i));
      return;
    default:
      fail(path, 'type', `unknown field type ${describeValue((def as { type: unknown }).type)}`);
  }
}

/** Checks one item of a list, set or log against `of` (any JSON value if `of` is absent). */
export function validateItem(def: FieldDef, item: unknown, path: string): void {
  if (def.of) validateValue(def.of, item, path);
  else if (item === undefined || !isJson(item)) fail(path, 'type', 'expected a JSON value');
}

function validateObject(def: FieldDef, value: unknown, path: string): void {
  if (!isRecord(value)) fail(path, 'type', `expected an object, got ${describeValue(value)}`);
  if (!def.fields) {
    if (!isJson(value)) fail(path, 'type', 'expected a JSON object');
    return;
  }
  for (const key in value) {
    const sub = Object.hasOwn(def.fields, key) ? def.fields[key] : undefined;
    if (!sub) fail(joinPath(path, key), 'unknown-field', 'not a field of this object');
    if (value[key] !== undefined) validateValue(sub, value[key], joinPath(path, key));
  }
  for (const key in def.fields) {
    if (def.fields[key]?.required && value[key] === undefined && def.fields[key]?.default === undefined) {
      fail(joinPath(path, key), 'required', 'missing required field');
    }
  }
}
