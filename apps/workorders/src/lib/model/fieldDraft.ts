import type { FieldDef, FieldType, MergePolicy } from '@fieldsync/core';
import { allowedPolicies } from '@fieldsync/core';
import { fromRaw } from './fieldForm.js';

/**
 * A field being designed in the type editor, as the form holds it (all text), and its
 * translation to core's `FieldDef`. Core validates the result (`defineType` / `migrateType`
 * throw `SchemaError { path, rule }`), so nothing here second-guesses the schema rules.
 */
export interface FieldDraft {
  name: string;
  type: FieldType;
  /** '' = the kind's default policy. */
  merge: MergePolicy | '';
  required: boolean;
  /** Typed like a form value of the field ('' = no default). */
  default: string;
  /** enum: comma-separated values. */
  values: string;
  /** reference: target type. */
  to: string;
  /** list / set / log: item kind ('' = any JSON value). */
  of: '' | 'string' | 'number' | 'boolean' | 'date';
}

export const KINDS: readonly FieldType[] = [
  'string',
  'number',
  'boolean',
  'date',
  'enum',
  'reference',
  'text',
  'counter',
  'set',
  'list',
  'log',
  'object',
];

export const KIND_HELP: Record<FieldType, string> = {
  string: 'Short text, last writer wins',
  number: 'Number, last writer wins',
  boolean: 'Yes / no',
  date: 'Date (ISO)',
  enum: 'One of listed values',
  reference: 'Link to a record of another type',
  text: 'Long text; concurrent typing merges',
  counter: 'Count; increments from every device add up',
  set: 'Set of values; adds and removes merge',
  list: 'Ordered list; concurrent inserts merge',
  log: 'Append-only entries; nothing is lost',
  object: 'Object; each key merges on its own',
};

export function emptyDraft(): FieldDraft {
  return { name: '', type: 'string', merge: '', required: false, default: '', values: '', to: '', of: '' };
}

export function policies(type: FieldType): readonly MergePolicy[] {
  return allowedPolicies(type);
}

/** The definition a draft describes (a default that does not parse is passed on for core to refuse). */
export function toFieldDef(d: FieldDraft): FieldDef {
  const def: FieldDef = { type: d.type };
  if (d.merge) def.merge = d.merge;
  if (d.required) def.required = true;
  if (d.type === 'enum')
    def.values = d.values
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  if (d.type === 'reference' && d.to) def.to = d.to;
  if ((d.type === 'list' || d.type === 'set' || d.type === 'log') && d.of) def.of = { type: d.of };
  if (d.type === 'boolean' ? d.default !== '' : d.default.trim() !== '') {
    const v = d.type === 'boolean' ? d.default === 'true' : fromRaw(def, d.default);
    if (v !== undefined) def.default = v;
  }
  return def;
}
