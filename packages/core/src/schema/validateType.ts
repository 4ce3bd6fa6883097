import { SchemaError } from '../errors.js';
import { isInheritedKey, isJson, isRecord } from '../util/json.js';
import { FIELD_TYPES, allowedPolicies, type FieldDef, type TypeDef } from './typeDef.js';
import { joinPath, validateValue } from './validateValue.js';
import { describeValue } from '../util/describeValue.js';

/** Type and field names: identifiers that are safe as JSON keys and never start with `$`. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Most levels of nested field definitions (object `fields`, item types `of`). Validation and
 * every function that walks a type recurse once per level: a bound keeps a hostile definition
 * (20,000 levels) a clean `nesting` error instead of a stack overflow on every replica.
 */
export const MAX_TYPE_NESTING = 32;

function fail(path: string, rule: string, message: string): never {
  throw new SchemaError(path, rule, message);
}

/**
 * `__proto__` matches {@link NAME} but is not an ordinary key: assigning it, or writing it in an
 * object literal, replaces an object's prototype. Types travel between devices as data, so a
 * field or type of that name would let one user's definition rewire every other replica's objects.
 */
const PROTO = '__proto__';

/**
 * True for a valid field name. `$`-prefixed keys are reserved for the document model, `id`
 * for the document id that `materialize` puts next to the fields, and the names every object
 * inherits (`__proto__`, `toString`, `constructor` …) by JavaScript (`isInheritedKey`).
 */
export function isFieldName(name: string): boolean {
  return NAME.test(name) && name !== 'id' && !isInheritedKey(name);
}

/**
 * Checks that a type definition (JSON data, possibly from another device) is well formed before
 * anything relies on it: names, known field types, merge policies that fit the type, enum values,
 * item types, defaults that satisfy their own field. Throws `SchemaError` with the path.
 */
export function validateType(def: unknown): asserts def is TypeDef {
  if (!isRecord(def)) fail('', 'type', 'a type must be an object');
  if (typeof def.name !== 'string' || !NAME.test(def.name))
    fail('name', 'name', 'type name must match [A-Za-z_][A-Za-z0-9_]{0,63}');
  if (def.name === PROTO) fail('name', 'reserved', '`__proto__` is reserved by JavaScript');
  if (!Number.isInteger(def.version) || (def.version as number) < 1)
    fail('version', 'version', 'version must be an integer >= 1');
  if (!isRecord(def.fields)) fail('fields', 'type', 'fields must be an object');
  for (const key of Object.keys(def)) {
    if (!['name', 'version', 'fields', 'migrations'].includes(key))
      fail(key, 'unknown-property', 'not a type property');
  }
  if (def.migrations !== undefined && !Array.isArray(def.migrations))
    fail('migrations', 'type', 'migrations must be an array');
  // Steps are checked against the previous version (`validateMigration`), which may arrive later
  // (`TypeRegistry.add` keeps such a version), but the type is hashed at once: bound them here.
  if (def.migrations !== undefined && !isJson(def.migrations, 4 * MAX_TYPE_NESTING))
    fail(
      'migrations',
      'nesting',
      `migration steps must be JSON nested at most ${4 * MAX_TYPE_NESTING} levels`,
    );
  validateFields(def.fields, '', 1);
}

function validateFields(fields: Record<string, unknown>, base: string, depth: number): void {
  for (const name of Object.keys(fields)) {
    const path = joinPath(base, name);
    if (!NAME.test(name)) fail(path, 'name', 'field name must match [A-Za-z_][A-Za-z0-9_]{0,63}');
    if (name === 'id' && base === '') fail(path, 'reserved', '`id` is the document id');
    if (isInheritedKey(name)) fail(path, 'reserved', `\`${name}\` is reserved by JavaScript`);
    validateFieldDef(fields[name], path, depth);
  }
}

const FIELD_PROPS = new Set(['type', 'required', 'default', 'merge', 'values', 'to', 'fields', 'of']);

/** Checks one field definition (recursively for objects and item types; `depth` 1 = top level). */
export function validateFieldDef(def: unknown, path: string, depth = 1): asserts def is FieldDef {
  if (depth > MAX_TYPE_NESTING)
    fail(path, 'nesting', `field definitions nest deeper than ${MAX_TYPE_NESTING} levels`);
  if (!isRecord(def)) fail(path, 'type', 'a field definition must be an object');
  for (const key of Object.keys(def))
    if (!FIELD_PROPS.has(key)) fail(joinPath(path, key), 'unknown-property', 'not a field property');
  if (typeof def.type !== 'string' || !FIELD_TYPES.has(def.type))
    fail(joinPath(path, 'type'), 'field-type', `unknown field type ${describeValue(def.type)}`);
  const f = def as unknown as FieldDef;
  if (def.required !== undefined && typeof def.required !== 'boolean')
    fail(joinPath(path, 'required'), 'type', 'required must be a boolean');
  if (f.merge !== undefined && !allowedPolicies(f.type).includes(f.merge)) {
    fail(
      joinPath(path, 'merge'),
      'merge-policy',
      `policy ${describeValue(f.merge)} is not allowed for type ${f.type} (allowed: ${allowedPolicies(f.type).join(', ')})`,
    );
  }
  if (f.type === 'enum') {
    if (!Array.isArray(f.values) || f.values.length === 0 || !f.values.every((v) => typeof v === 'string')) {
      fail(joinPath(path, 'values'), 'enum', 'enum needs a non-empty array of strings');
    }
    if (new Set(f.values).size !== f.values.length)
      fail(joinPath(path, 'values'), 'enum', 'enum values must be unique');
  } else if (f.values !== undefined)
    fail(joinPath(path, 'values'), 'unknown-property', 'values is only for enum');
  if (f.type === 'reference') {
    if (typeof f.to !== 'string' || !NAME.test(f.to))
      fail(joinPath(path, 'to'), 'reference', 'reference needs a target type name in `to`');
  } else if (f.to !== undefined) fail(joinPath(path, 'to'), 'unknown-property', 'to is only for reference');
  if (f.fields !== undefined) {
    if (f.type !== 'object') fail(joinPath(path, 'fields'), 'unknown-property', 'fields is only for object');
    if (!isRecord(f.fields)) fail(joinPath(path, 'fields'), 'type', 'fields must be an object');
    validateFields(f.fields, path, depth + 1);
  }
  if (f.of !== undefined) {
    if (f.type !== 'list' && f.type !== 'set' && f.type !== 'log')
      fail(joinPath(path, 'of'), 'unknown-property', 'of is only for list, set and log');
    validateFieldDef(f.of, joinPath(path, 'of'), depth + 1);
  }
  if (f.default !== undefined) {
    try {
      validateValue(f, f.default, path);
    } catch (e) {
      fail(
        joinPath(path, 'default'),
        'default',
        `default does not satisfy the field: ${(e as Error).message}`,
      );
    }
  }
}
