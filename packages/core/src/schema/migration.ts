import { SchemaError } from '../errors.js';
import { isRecord } from '../util/json.js';
import {
  policyOf,
  SCALAR_TYPES,
  allowedPolicies,
  type FieldDef,
  type MigrationStep,
  type TypeDef,
  type ValueMap,
} from './typeDef.js';
import { fieldsJson } from './typeJson.js';
import { isFieldName, validateFieldDef, validateType } from './validateType.js';
import { validateValue } from './validateValue.js';
import { describeValue } from '../util/describeValue.js';

function fail(path: string, rule: string, message: string): never {
  throw new SchemaError(path, rule, message);
}

function scalarLww(def: FieldDef): boolean {
  return SCALAR_TYPES.has(def.type) && policyOf(def) === 'lww';
}

/** Checks a mapping against the old and new field definitions (coverage, targets, fail rule). */
/**
 * Refuses keys that a step, a map or a fail rule does not have. Nothing else would look at them,
 * yet they are hashed and stored with the type: a key holding a value nested 30,000 levels
 * passed validation and then overflowed the stack in `typeHash` (found by the decoder fuzzers,
 * packages/core/test/fuzz).
 */
function onlyKeys(rec: object, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(rec))
    if (!allowed.includes(key)) fail(`${path}.${key}`, 'unknown-property', 'not a property here');
}

function checkMap(path: string, from: FieldDef, to: FieldDef, map: ValueMap | undefined): void {
  if (map === undefined) {
    // Without a map: same type (an enum only if every old value still exists), or to string.
    const implicit =
      from.type === to.type
        ? (from.values ?? []).every((v) => to.values?.includes(v))
        : to.type === 'string' && ['enum', 'reference', 'date'].includes(from.type);
    if (!implicit) fail(path, 'mapping', `changing ${from.type} to ${to.type} needs a \`map\``);
    return;
  }
  if (!isRecord(map)) fail(path, 'mapping', 'map must be an object');
  const checkTarget = (v: unknown, at: string): void => {
    try {
      validateValue(to, v, at);
    } catch (e) {
      fail(at, 'mapping', `maps to an invalid value: ${(e as Error).message}`);
    }
  };
  const checkFail = (rule: unknown, at: string): void => {
    if (rule === 'unset') return;
    if (!isRecord(rule) || !('default' in rule)) fail(at, 'mapping', "onFail must be 'unset' or { default }");
    onlyKeys(rule, ['default'], at);
    checkTarget(rule.default, at);
  };
  switch (map.kind) {
    case 'toString':
      onlyKeys(map, ['kind'], path);
      if (to.type !== 'string') fail(path, 'mapping', 'toString needs a string target');
      return;
    case 'toNumber':
      onlyKeys(map, ['kind', 'onFail'], path);
      if (to.type !== 'number') fail(path, 'mapping', 'toNumber needs a number target');
      if (from.type !== 'string') fail(path, 'mapping', 'toNumber converts strings');
      checkFail(map.onFail, `${path}.onFail`);
      return;
    case 'enum': {
      onlyKeys(map, ['kind', 'values', 'onFail'], path);
      if (!isRecord(map.values)) fail(path, 'mapping', 'enum map needs `values`');
      for (const [k, v] of Object.entries(map.values)) checkTarget(v, `${path}.values.${k}`);
      if (from.type === 'enum') {
        const missing = (from.values ?? []).filter(
          (v) => !Object.prototype.hasOwnProperty.call(map.values, v),
        );
        if (missing.length) fail(path, 'mapping', `enum map misses old values ${JSON.stringify(missing)}`);
      } else if (from.type === 'string') {
        if (map.onFail === undefined) fail(path, 'mapping', 'mapping free strings needs an explicit onFail');
        checkFail(map.onFail, `${path}.onFail`);
      } else fail(path, 'mapping', 'enum maps convert enums or strings');
      return;
    }
    default:
      fail(path, 'mapping', `unknown map kind ${describeValue((map as { kind: unknown }).kind)}`);
  }
}

/**
 * Where an `addField` step puts its field: undefined for the end, else next to an existing field.
 * `after` and `before` are exclusive; the named field must exist at that point of the steps.
 */
function addPosition(
  step: { after?: unknown; before?: unknown },
  path: string,
  need: (name: unknown, at: string) => FieldDef,
): { anchor: string; after: boolean } | undefined {
  const { after, before } = step;
  if (after !== undefined && before !== undefined)
    fail(`${path}.before`, 'position', 'give `after` or `before`, not both');
  if (after === undefined && before === undefined) return undefined;
  const key = after !== undefined ? 'after' : 'before';
  const anchor = after ?? before;
  if (typeof anchor !== 'string') fail(`${path}.${key}`, 'position', `${key} must name a field`);
  need(anchor, key);
  return { anchor, after: after !== undefined };
}

/** A copy of `fields` with `name` inserted right after (or before) `anchor`. */
function insertAt(
  fields: Record<string, FieldDef>,
  anchor: string,
  after: boolean,
  name: string,
  def: FieldDef,
): Record<string, FieldDef> {
  const out: Record<string, FieldDef> = {};
  for (const key in fields) {
    if (key === anchor && !after) out[name] = def;
    out[key] = fields[key] as FieldDef;
    if (key === anchor && after) out[name] = def;
  }
  return out;
}

/** A copy of `fields` with `from` renamed to `to` in the same position. */
function renameKey(fields: Record<string, FieldDef>, from: string, to: string): Record<string, FieldDef> {
  const out: Record<string, FieldDef> = {};
  for (const key in fields) out[key === from ? to : key] = fields[key] as FieldDef;
  return out;
}

/**
 * Applies migration steps to a version's fields and returns the next version's fields, checking
 * every step on the way: rename onto an existing field, unknown fields, re-adding a field, type
 * changes without a (complete) mapping, disallowed policies. Throws `SchemaError` naming the step.
 */
export function applySteps(
  fields: Record<string, FieldDef>,
  steps: readonly unknown[],
  version: number,
): Record<string, FieldDef> {
  let out: Record<string, FieldDef> = { ...fields };
  if (!Array.isArray(steps) || steps.length === 0)
    fail('migrations', 'migration', 'a new version needs at least one step');
  steps.forEach((raw, i) => {
    const path = `migrations[${i}]`;
    if (!isRecord(raw)) fail(path, 'migration', 'a step must be an object');
    const step = raw as MigrationStep;
    const need = (name: unknown, at: string): FieldDef => {
      if (typeof name !== 'string' || out[name] === undefined)
        fail(`${path}.${at}`, 'unknown-field', `no field ${describeValue(name)} in version ${version - 1}`);
      return out[name];
    };
    const fresh = (name: unknown, at: string): string => {
      if (typeof name !== 'string' || !isFieldName(name)) fail(`${path}.${at}`, 'name', 'bad field name');
      if (out[name] !== undefined) fail(`${path}.${at}`, 'exists', `field ${name} already exists`);
      return name;
    };
    switch (step.op) {
      case 'addField': {
        onlyKeys(step, ['op', 'field', 'def', 'after', 'before'], path);
        const name = fresh(step.field, 'field');
        validateFieldDef(step.def, `${path}.def`);
        const at = addPosition(step, path, (f, where) => need(f, where));
        if (at === undefined) out[name] = step.def;
        else out = insertAt(out, at.anchor, at.after, name, step.def);
        break;
      }
      case 'renameField': {
        onlyKeys(step, ['op', 'from', 'to'], path);
        need(step.from, 'from');
        const to = fresh(step.to, 'to');
        out = renameKey(out, step.from, to);
        break;
      }
      case 'removeField':
        onlyKeys(step, ['op', 'field'], path);
        need(step.field, 'field');
        delete out[step.field];
        break;
      case 'changeType': {
        onlyKeys(step, ['op', 'field', 'def', 'map'], path);
        const old = need(step.field, 'field');
        validateFieldDef(step.def, `${path}.def`);
        if (!scalarLww(old) || !scalarLww(step.def))
          fail(
            `${path}.def`,
            'change-type',
            'changeType converts last-writer-wins scalar fields only (use add/remove for others)',
          );
        checkMap(`${path}.map`, old, step.def, step.map);
        out[step.field] = step.def;
        break;
      }
      case 'changeMerge': {
        onlyKeys(step, ['op', 'field', 'merge'], path);
        const old = need(step.field, 'field');
        if (!allowedPolicies(old.type).includes(step.merge))
          fail(
            `${path}.merge`,
            'merge-policy',
            `policy ${describeValue(step.merge)} not allowed for ${old.type}`,
          );
        if (policyOf(old) === step.merge)
          fail(`${path}.merge`, 'merge-policy', 'the field already uses this policy');
        out[step.field] = { ...old, merge: step.merge };
        break;
      }
      default:
        fail(`${path}.op`, 'migration', `unknown step ${describeValue((step as { op: unknown }).op)}`);
    }
  });
  return out;
}

/**
 * The next version of a type: `prev` with `steps` applied (what `db.migrateType(name, steps)`
 * builds on). The steps are stored in the new version, so every replica can replay them.
 */
export function migrateType(prev: TypeDef, steps: MigrationStep[]): TypeDef {
  validateType(prev);
  const next: TypeDef = {
    name: prev.name,
    version: prev.version + 1,
    fields: applySteps(prev.fields, steps, prev.version + 1),
    migrations: steps,
  };
  validateType(next);
  return next;
}

/**
 * Checks that `next` is a valid successor of `prev`: same name, version + 1 (no gaps), and its
 * fields are exactly what its migration steps make of `prev`'s. Throws `SchemaError`.
 */
export function validateMigration(prev: TypeDef, next: TypeDef): void {
  validateType(prev);
  validateType(next);
  if (next.name !== prev.name) fail('name', 'migration', `migrating ${prev.name} into ${next.name}`);
  if (next.version !== prev.version + 1)
    fail('version', 'version-gap', `version ${next.version} does not follow ${prev.version}`);
  const derived = applySteps(prev.fields, next.migrations ?? [], next.version);
  // Field order is part of the type: the same fields in another order are not what the steps make.
  if (fieldsJson(derived) !== fieldsJson(next.fields))
    fail(
      'fields',
      'migration',
      `the fields of version ${next.version} (names, definitions and order) are not what its steps make of version ${prev.version}`,
    );
}

/** Checks a whole history: versions 1..n in order, version 1 without steps, each a valid successor. */
export function validateTypeHistory(versions: readonly TypeDef[]): void {
  if (versions.length === 0) fail('', 'version-gap', 'empty history');
  const first = versions[0] as TypeDef;
  validateType(first);
  if (first.version !== 1) fail('version', 'version-gap', 'history must start at version 1');
  if (first.migrations !== undefined && first.migrations.length > 0)
    fail('migrations', 'migration', 'version 1 has no migrations');
  for (let i = 1; i < versions.length; i++)
    validateMigration(versions[i - 1] as TypeDef, versions[i] as TypeDef);
}
