import type { FieldDef, TypeDef } from '@fieldsync/core';
import { ValidationError, validateValue } from '@fieldsync/core';

/**
 * Generated forms for any type: how each field kind is typed into a form and read back, and
 * validation per field with the type's own rules and messages (core's `validateValue`), so a
 * record is checked on the device, offline, exactly as the write path will check it.
 */

/** What a form control holds for a field: text for most kinds, a boolean for checkboxes. */
export type Raw = string | boolean;

export interface FieldError {
  path: string;
  rule: string;
  message: string;
}

/** Field kinds whose values are lists of items typed as comma-separated text. */
const ITEMS = new Set(['set', 'list']);

/** True if the form edits the field as one control (the rest: collaborative or append-only widgets). */
export function isPlainInput(def: FieldDef): boolean {
  return !['log', 'object'].includes(def.type) || (def.type === 'object' && def.fields === undefined);
}

/** A value as the form shows it. */
export function toRaw(def: FieldDef, value: unknown): Raw {
  if (def.type === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (def.type === 'date') return String(value).slice(0, 10);
  if (ITEMS.has(def.type) && Array.isArray(value))
    return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The typed value a form control means, or undefined for "empty". Text that does not parse is
 * passed on as it is, so validation reports it with the type's own rule (e.g. `type`) rather
 * than the form guessing.
 */
export function fromRaw(def: FieldDef, raw: Raw): unknown {
  if (def.type === 'boolean') return raw === true;
  const s = String(raw).trim();
  if (s === '') return undefined;
  switch (def.type) {
    case 'number':
    case 'counter': {
      const n = Number(s);
      return Number.isFinite(n) ? n : s;
    }
    case 'set':
    case 'list': {
      const items = s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
      return def.of && def.of.type !== 'string' ? items.map((x) => parseJson(x)) : items;
    }
    case 'object':
      return parseJson(s);
    default:
      return def.type === 'text' ? String(raw) : s;
  }
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Validates one field's value (undefined = empty) against its definition. */
export function checkField(name: string, def: FieldDef, value: unknown): FieldError | undefined {
  if (value === undefined) {
    return def.required && def.default === undefined
      ? { path: name, rule: 'required', message: `${name}: required: missing required field` }
      : undefined;
  }
  try {
    validateValue(def, value, name);
    return undefined;
  } catch (e) {
    if (e instanceof ValidationError) return { path: e.path, rule: e.rule, message: e.message };
    throw e;
  }
}

/** Every field's error (by top-level field name) for a record about to be written. */
export function checkRecord(type: TypeDef, values: Record<string, unknown>): Record<string, FieldError> {
  const errors: Record<string, FieldError> = {};
  for (const [name, def] of Object.entries(type.fields)) {
    const err = checkField(name, def, values[name]);
    if (err) errors[name] = err;
  }
  return errors;
}

/** Maps an error thrown by a write (ValidationError, ModifierError, SchemaError) to a field. */
export function errorOf(e: unknown): FieldError {
  const x = e as { path?: unknown; rule?: unknown; message?: unknown };
  return {
    path: typeof x.path === 'string' ? x.path : '',
    rule: typeof x.rule === 'string' ? x.rule : 'error',
    message: e instanceof Error ? e.message : String(e),
  };
}

/** The top-level field an error path names (`address.city` → `address`, `tags[2]` → `tags`). */
export function fieldOfPath(path: string): string {
  return path.replace(/^\$[a-zA-Z]+\./, '').split(/[.[]/)[0] ?? '';
}

/** "partsUsed" → "Parts used": a label for a field name. */
export function fieldLabel(name: string): string {
  const words = name.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

/**
 * The human title of a record: its first string field with a value, else the first line of a
 * text field, else the first number, enum or date, else its id.
 */
export function recordTitle(type: TypeDef | undefined, doc: Record<string, unknown>): string {
  if (type) {
    const fields = Object.entries(type.fields);
    for (const kinds of [['string'], ['text'], ['number', 'enum', 'date']]) {
      for (const [name, def] of fields) {
        const v = doc[name];
        if (!kinds.includes(def.type) || v === undefined || v === null || v === '') continue;
        const s = String(v).split('\n')[0] ?? '';
        return s.length > 60 ? `${s.slice(0, 59)}…` : s;
      }
    }
  }
  return String(doc.id ?? '');
}
