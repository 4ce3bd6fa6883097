/**
 * Types are plain JSON data (the no-code type system): they are stored and synced like records,
 * so an offline device can validate and render a type it received earlier. See docs/schema.md.
 */

/** Field types a type definition can declare. */
export type FieldType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'date'
  | 'enum'
  | 'reference'
  | 'object'
  | 'list'
  | 'text'
  | 'log'
  | 'set'
  | 'counter';

/** How concurrent edits of a field merge. Chosen per field; see {@link defaultPolicy}. */
export type MergePolicy = 'lww' | 'object' | 'log' | 'set' | 'counter' | 'sequence';

/** One field of a type. */
export interface FieldDef {
  type: FieldType;
  required?: boolean;
  default?: unknown;
  merge?: MergePolicy;
  /** enum: the allowed values. */
  values?: string[];
  /** reference: the target type name. */
  to?: string;
  /** object: the sub-fields (omit for a free-form object whose keys are LWW JSON values). */
  fields?: Record<string, FieldDef>;
  /** list / set / log: the item type (omit for any JSON value). */
  of?: FieldDef;
}

/** A type: name, version, fields, and the migration steps that produced this version. */
export interface TypeDef {
  name: string;
  version: number;
  fields: Record<string, FieldDef>;
  /** Steps from `version - 1` to `version` (see docs/schema.md), checked by `validateMigration`. */
  migrations?: MigrationStep[];
}

/**
 * Migration steps are data (JSON), attached to the type version they produce, so they sync like
 * records and an offline device can upgrade old documents and old changes without new code.
 * Each step is a pure function of the previous version's fields; see docs/schema.md.
 */
export type MigrationStep =
  /**
   * The new field goes at the end of `fields`, or right after / before the named field (at most
   * one of the two): field order is part of the type (docs/schema.md, "Field order").
   */
  | { op: 'addField'; field: string; def: FieldDef; after?: string; before?: string }
  | { op: 'renameField'; from: string; to: string }
  | { op: 'removeField'; field: string }
  | { op: 'changeType'; field: string; def: FieldDef; map?: ValueMap }
  | { op: 'changeMerge'; field: string; merge: MergePolicy };

/**
 * How `changeType` converts a scalar value. Applied to every value a register holds (winner and
 * superseded), to old documents and to old changes alike, so converted replicas still converge.
 */
export type ValueMap =
  /** Old value → new value. Must cover every value of an old enum; `onFail` is for old strings. */
  | { kind: 'enum'; values: Record<string, string>; onFail?: FailRule }
  /** Any scalar → its string form (numbers via `String`, booleans `true`/`false`). */
  | { kind: 'toString' }
  /** String → number (`Number` of the trimmed string, finite only); otherwise `onFail`. */
  | { kind: 'toNumber'; onFail: FailRule };

/** What a value that cannot be converted becomes: unset, or a fixed default. The original is always kept hidden. */
export type FailRule = 'unset' | { default: unknown };

/** Scalar field types: a single JSON value, merged last-writer-wins by default. */
export const SCALAR_TYPES: ReadonlySet<string> = new Set([
  'string',
  'number',
  'boolean',
  'date',
  'enum',
  'reference',
]);

/** All field types. */
export const FIELD_TYPES: ReadonlySet<string> = new Set([
  ...SCALAR_TYPES,
  'object',
  'list',
  'text',
  'log',
  'set',
  'counter',
]);

/** Default merge policy per field type (documented in docs/crdt.md). */
export function defaultPolicy(type: FieldType): MergePolicy {
  switch (type) {
    case 'object':
      return 'object';
    case 'list':
    case 'text':
      return 'sequence';
    case 'log':
      return 'log';
    case 'set':
      return 'set';
    case 'counter':
      return 'counter';
    default:
      return 'lww';
  }
}

/** The effective merge policy of a field: explicit `merge`, else the type's default. */
export function policyOf(def: FieldDef): MergePolicy {
  return def.merge ?? defaultPolicy(def.type);
}

/**
 * Which policies a field type may declare. Any type may fall back to `lww` (whole-value
 * last-writer-wins); structured policies only make sense for their own shapes.
 */
export function allowedPolicies(type: FieldType): readonly MergePolicy[] {
  switch (type) {
    case 'object':
      return ['object', 'lww'];
    case 'list':
      return ['sequence', 'lww'];
    case 'text':
      return ['sequence', 'lww'];
    case 'log':
      return ['log'];
    case 'set':
      return ['set', 'lww'];
    case 'counter':
      return ['counter', 'lww'];
    default:
      return ['lww'];
  }
}
