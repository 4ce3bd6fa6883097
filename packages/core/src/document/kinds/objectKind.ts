import type { Stamp } from '../../clock/stamp.js';
import { mergeObject, type ObjectState } from '../../crdt/object.js';
import { ValidationError } from '../../errors.js';
import { joinPath } from '../../schema/validateValue.js';
import { isRecord } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';
import {
  applyFieldDelta,
  cloneField,
  fieldCanonical,
  fieldFromJSON,
  fieldToJSON,
  materializeField,
  mergeField,
  validateFieldDelta,
} from '../fields.js';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/**
 * Per-key object kind (address, contact...). JSON state `{ k: 'o', f: { key: state } }`;
 * delta `{ k: 'o', f: { key: delta } }`. Each key holds its own field state, so concurrent edits
 * of different keys both survive; a free-form object (no `fields` in the type) holds a register
 * per key.
 */
export const objectKind: FieldKind<ObjectState> = {
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
  fromJSON(json, path) {
    if (!isRecord(json.f)) bad(path, 'state', 'object state needs `f`');
    const f: Record<string, unknown> = {};
    for (const key in json.f) f[key] = fieldFromJSON(json.f[key], joinPath(path, key));
    return { k: 'o', f };
  },
  validateDelta(delta, def, path, current) {
    if (!isRecord(delta.f)) bad(path, 'delta', 'object delta needs `f`');
    for (const key in delta.f) {
      const sub = def?.fields ? def.fields[key] : undefined;
      if (def?.fields && !sub) bad(joinPath(path, key), 'unknown-field', 'not a field of this object');
      validateFieldDelta(
        delta.f[key],
        sub,
        joinPath(path, key),
        current?.f[key],
        def !== undefined && !def.fields,
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
