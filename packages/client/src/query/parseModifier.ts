import type { FieldDef, Intent } from '@fieldsync/core';
import { isPlainObject } from './compileSelector.js';
import { ModifierError } from './errors.js';
import { compileGetter } from './path.js';

const MODIFIERS = new Set(['$set', '$unset', '$inc', '$push', '$addToSet', '$pull']);

/**
 * Translates a Mongo-style update modifier into core intents, choosing the intent from the
 * field's type so each write merges with that field's policy: `$inc` on a counter becomes a
 * counter increment (concurrent increments add up), `$push` appends to a log or list, `$addToSet`
 * and `$pull` are set operations. Everything is checked before returning, so a bad modifier
 * throws a `ModifierError` and nothing is written.
 *
 * @param current the document as it is now; only read for `$inc` on a plain number field.
 */
export function parseModifier(
  modifier: unknown,
  fields: Record<string, FieldDef>,
  current: Record<string, unknown> | undefined,
): Intent[] {
  if (!isPlainObject(modifier)) throw new ModifierError('modifier must be an object', '');
  const keys = Object.keys(modifier);
  if (keys.length === 0) throw new ModifierError('empty modifier', '');
  const intents: Intent[] = [];
  const seen: string[] = [];
  for (const op of keys) {
    if (op.charCodeAt(0) !== 36)
      throw new ModifierError(`replacement documents are not supported; use $set for "${op}"`, op);
    if (!MODIFIERS.has(op)) throw new ModifierError(`unknown modifier ${op}`, op);
    const args = modifier[op];
    const paths = isPlainObject(args) ? Object.keys(args) : [];
    if (paths.length === 0) throw new ModifierError(`${op} needs an object of field paths`, op);
    for (const path of paths) {
      const operand = (args as Record<string, unknown>)[path];
      const parts = path.split('.');
      for (const p of parts)
        if (p === '' || p.charCodeAt(0) === 36)
          throw new ModifierError(`invalid field path "${path}"`, `${op}.${path}`);
      if (parts[0] === 'id') throw new ModifierError('id cannot be modified', `${op}.${path}`);
      for (const other of seen) {
        if (other === path || other.startsWith(path + '.') || path.startsWith(other + '.')) {
          throw new ModifierError(`"${path}" is modified twice (conflicts with "${other}")`, `${op}.${path}`);
        }
      }
      seen.push(path);
      // The error path (`$set.status`) is built only when there is an error to report.
      const def = fieldAt(fields, parts, op, path);
      intents.push(toIntent(op, parts, def, operand, current, path));
    }
  }
  return intents;
}

function toIntent(
  op: string,
  path: string[],
  def: FieldDef | undefined,
  operand: unknown,
  current: Record<string, unknown> | undefined,
  written: string,
): Intent {
  const type = def?.type;
  if (op === '$set' && operand !== undefined) return { op: 'set', path, value: operand };
  const at = `${op}.${written}`;
  switch (op) {
    case '$set':
      throw new ModifierError('$set value is undefined; use $unset', at);
    case '$unset':
      return { op: 'unset', path };
    case '$inc': {
      if (typeof operand !== 'number' || !Number.isFinite(operand))
        throw new ModifierError('$inc needs a finite number', at);
      if (type === 'counter') return { op: 'inc', path, by: operand };
      if (type === 'number') {
        const now = current ? compileGetter(path.join('.'))(current) : undefined;
        return { op: 'set', path, value: (typeof now === 'number' ? now : 0) + operand };
      }
      throw new ModifierError(
        `$inc needs a counter or number field, "${path.join('.')}" is ${type ?? 'not a field'}`,
        at,
      );
    }
    case '$push':
      if (type !== 'log' && type !== 'list')
        throw new ModifierError(
          `$push needs a log or list field, "${path.join('.')}" is ${type ?? 'not a field'}`,
          at,
        );
      return { op: 'append', path, values: eachValues(operand, '$each', at) };
    case '$addToSet':
      if (type !== 'set')
        throw new ModifierError(
          `$addToSet needs a set field, "${path.join('.')}" is ${type ?? 'not a field'}`,
          at,
        );
      return { op: 'add', path, values: eachValues(operand, '$each', at) };
    default:
      if (type !== 'set' && type !== 'list')
        throw new ModifierError(
          `$pull needs a set or list field, "${path.join('.')}" is ${type ?? 'not a field'}`,
          at,
        );
      return { op: 'remove', path, values: eachValues(operand, '$in', at) };
  }
}

/** `{ $each: [a, b] }` (or `{ $in: [...] }` for $pull) means several values; anything else is one. */
function eachValues(operand: unknown, key: string, at: string): unknown[] {
  if (isPlainObject(operand) && key in operand) {
    if (Object.keys(operand).length !== 1)
      throw new ModifierError(`${key} cannot be combined with other keys`, at);
    const list = operand[key];
    if (!Array.isArray(list)) throw new ModifierError(`${key} needs an array`, at);
    return list;
  }
  if (isPlainObject(operand) && Object.keys(operand).some((k) => k.startsWith('$'))) {
    throw new ModifierError(`unsupported operator in ${Object.keys(operand).join(', ')}`, at);
  }
  if (operand === undefined) throw new ModifierError('value is undefined', at);
  return [operand];
}

/** Walks the type's field definitions along `path`; unknown root fields are rejected here. */
function fieldAt(
  fields: Record<string, FieldDef>,
  path: string[],
  op: string,
  written: string,
): FieldDef | undefined {
  let defs: Record<string, FieldDef> | undefined = fields;
  let def: FieldDef | undefined;
  for (let i = 0; i < path.length; i++) {
    const name = path[i] as string;
    if (!defs) return undefined; // inside a value the type does not describe (e.g. an lww object value)
    def = defs[name];
    if (!def)
      throw new ModifierError(`unknown field "${path.slice(0, i + 1).join('.')}"`, `${op}.${written}`);
    defs = def.type === 'object' ? def.fields : undefined;
  }
  return def;
}
