import type { Stamp } from '../../clock/stamp.js';
import { mergeObject, type ObjectState } from '../../crdt/object.js';
import { ValidationError } from '../../errors.js';
import { joinPath } from '../../schema/validateValue.js';
import { MAX_TYPE_NESTING } from '../../schema/validateType.js';
import type { FieldDef } from '../../schema/typeDef.js';
import { isInheritedKey, isRecord } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/**
 * Refuses a field nested below `MAX_TYPE_NESTING` levels. No type declares one (object fields
 * nest at most that deep, `validateType`), and checking recurses once per level: a change or
 * stored state nested 30,000 levels was a stack overflow here, not a rejection.
 */
function checkNesting(path: string, depth: number): void {
  if (depth > MAX_TYPE_NESTING) bad(path, 'nesting', `fields nest deeper than ${MAX_TYPE_NESTING} levels`);
}

/** Refuses a key every object inherits (`__proto__`, `toString` …): see `isInheritedKey`. */
function checkKey(key: string, path: string): void {
  if (isInheritedKey(key)) bad(path, 'reserved', `\`${key}\` is reserved by JavaScript`);
}

/**
 * What the object kind does to the field state under each key: dispatch on that state's own kind
 * (see `fields.ts`), which may be an object again.
 */
export interface NestedFields {
  mergeField(a: unknown, b: unknown, path: string): unknown;
  cloneField(state: unknown): unknown;
  materializeField(state: unknown): unknown;
  fieldToJSON(state: unknown): unknown;
  fieldCanonical(state: unknown): unknown;
  fieldFromJSON(json: unknown, path: string, depth: number): unknown;
  validateFieldDelta(
    delta: unknown,
    def: FieldDef | undefined,
    path: string,
    current: unknown,
    registerOnly: boolean,
    depth: number,
  ): void;
  applyFieldDelta(current: unknown, delta: Record<string, unknown>, stamp: Stamp): unknown;
}

/**
 * Per-key object kind (address, contact...). JSON state `{ k: 'o', f: { key: state } }`;
 * delta `{ k: 'o', f: { key: delta } }`. Each key holds its own field state, so concurrent edits
 * of different keys both survive; a free-form object (no `fields` in the type) holds a register
 * per key.
 *
 * Built once, by `fields.ts`, with the field dispatch it recurses into: the dispatch has to know
 * this kind, so this kind takes it as an argument instead of importing it.
 */
export function createObjectKind(fields: NestedFields): FieldKind<ObjectState> {
  const {
    mergeField,
    cloneField,
    materializeField,
    fieldToJSON,
    fieldCanonical,
    fieldFromJSON,
    validateFieldDelta,
    applyFieldDelta,
  } = fields;
  return {
    tag: 'o',
    policy: 'object',
    merge(a, b) {
      const out = mergeObject(a, b, (key, x, y) => mergeField(x, y, key));
      // Keys present on one side only are shared by mergeObject; copy the mutable (sequence) ones.
      for (const key in out.f)
        if (a.f[key] === undefined || b.f[key] === undefined) out.f[key] = cloneField(out.f[key]);
      return out;
    },
    clone(o) {
      const f: Record<string, unknown> = {};
      for (const key in o.f) f[key] = cloneField(o.f[key]);
      return { k: 'o', f };
    },
    materialize(o) {
      const out: Record<string, unknown> = {};
      for (const key in o.f) {
        const v = materializeField(o.f[key]);
        if (v !== undefined) out[key] = v;
      }
      return out;
    },
    toJSON(o) {
      const f: Record<string, unknown> = {};
      for (const key in o.f) f[key] = fieldToJSON(o.f[key]);
      return { k: 'o', f };
    },
    canonical(o) {
      const f: Record<string, unknown> = {};
      for (const key in o.f) f[key] = fieldCanonical(o.f[key]);
      return { k: 'o', f };
    },
    fromJSON(json, path, depth = 1) {
      if (!isRecord(json.f)) bad(path, 'state', 'object state needs `f`');
      const f: Record<string, unknown> = {};
      for (const key in json.f) {
        const sub = joinPath(path, key);
        checkKey(key, sub);
        checkNesting(sub, depth + 1);
        f[key] = fieldFromJSON(json.f[key], sub, depth + 1);
      }
      return { k: 'o', f };
    },
    validateDelta(delta, def, path, current, depth = 1) {
      if (!isRecord(delta.f)) bad(path, 'delta', 'object delta needs `f`');
      for (const key in delta.f) {
        checkKey(key, joinPath(path, key));
        const sub = def?.fields && Object.hasOwn(def.fields, key) ? def.fields[key] : undefined;
        if (def?.fields && !sub) bad(joinPath(path, key), 'unknown-field', 'not a field of this object');
        checkNesting(joinPath(path, key), depth + 1);
        validateFieldDelta(
          delta.f[key],
          sub,
          joinPath(path, key),
          current?.f[key],
          def !== undefined && !def.fields,
          depth + 1,
        );
      }
    },
    applyDelta(current, delta, stamp: Stamp) {
      const f: Record<string, unknown> = current ? { ...current.f } : {};
      const df = delta.f as Record<string, unknown>;
      for (const key in df) f[key] = applyFieldDelta(f[key], df[key] as Record<string, unknown>, stamp);
      return { k: 'o', f };
    },
  };
}
