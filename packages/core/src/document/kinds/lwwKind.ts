import { isStamp, type Stamp } from '../../clock/stamp.js';
import { lwwWrite, mergeLww, MAX_SUPERSEDED, type LwwEntry, type LwwState } from '../../crdt/lww.js';
import { ValidationError } from '../../errors.js';
import { validateValue } from '../../schema/validateValue.js';
import type { FieldDef } from '../../schema/typeDef.js';
import { isJson } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

function checkValue(v: unknown, path: string): void {
  if (v !== undefined && !isJson(v)) bad(path, 'type', 'value must be JSON');
}

/**
 * Last-writer-wins register kind (scalars, and any field declared `merge: 'lww'`).
 * JSON state `{ v, s, p?, h? }`; delta `{ v?, p? }` (no `v` = unset; `p` = the stamp the writer saw).
 */
export const lwwKind: FieldKind<LwwState> = {
  tag: '',
  policy: 'lww',
  merge: mergeLww,
  materialize: (r) => r.v,
  toJSON: (r) => r,
  canonical: (r) => r,
  fromJSON(json, path) {
    if (!isStamp(json.s)) bad(path, 'stamp', 'register needs a valid stamp `s`');
    checkValue(json.v, path);
    if (json.p !== undefined && (!isStamp(json.p) || json.p >= json.s))
      bad(path, 'stamp', '`p` must be a stamp below `s`');
    const out = lwwWrite(json.v, json.s, json.p as Stamp | undefined);
    if (json.h !== undefined) {
      if (!Array.isArray(json.h) || json.h.length === 0 || json.h.length > MAX_SUPERSEDED)
        bad(path, 'history', 'bad history');
      const h: LwwEntry[] = [];
      let prev = json.s;
      for (const e of json.h as unknown[]) {
        const entry = e as Record<string, unknown>;
        if (typeof e !== 'object' || e === null || !isStamp(entry.s) || entry.s >= prev)
          bad(path, 'history', 'history must be stamps in descending order');
        if (json.p !== undefined && entry.s <= json.p) bad(path, 'history', 'history entry older than `p`');
        checkValue(entry.v, path);
        h.push({ v: entry.v, s: entry.s });
        prev = entry.s;
      }
      out.h = h;
    }
    return out;
  },
  validateDelta(delta, def, path) {
    for (const key in delta)
      if (key !== 'v' && key !== 'p')
        bad(path, 'delta', `unexpected key ${JSON.stringify(key)} in register delta`);
    if (delta.p !== undefined && !isStamp(delta.p)) bad(path, 'stamp', '`p` must be a stamp');
    if (delta.v === undefined) {
      if (def?.required) bad(path, 'required', 'a required field cannot be unset');
      return;
    }
    if (def) validateValue(def as FieldDef, delta.v, path);
    else checkValue(delta.v, path);
  },
  applyDelta(current, delta, stamp) {
    // A writer always saw less than its own stamp; a malformed `p` is clamped out, never trusted.
    const p = delta.p as Stamp | undefined;
    const next = lwwWrite(delta.v, stamp, p !== undefined && p < stamp ? p : undefined);
    return current === undefined ? next : mergeLww(current, next);
  },
};
