import { isStamp } from '../../clock/stamp.js';
import { mergeSet, setDelta, setValues, type SetState } from '../../crdt/orSet.js';
import { ValidationError } from '../../errors.js';
import { joinPath, validateItem } from '../../schema/validateValue.js';
import { isJson, isRecord } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

const INDEX = /^\d{1,6}$/;

/** A set tag is `stamp/n`. */
function isTag(t: unknown): t is string {
  if (typeof t !== 'string') return false;
  const i = t.lastIndexOf('/');
  return i > 0 && isStamp(t.slice(0, i)) && INDEX.test(t.slice(i + 1));
}

/**
 * Add-wins observed-remove set kind. JSON state `{ k: 's', a: { tag: value }, r: [tags] }`;
 * delta `{ k: 's', a: [values to add], r: [observed tags to remove] }`.
 */
export const setKind: FieldKind<SetState> = {
  tag: 's',
  policy: 'set',
  merge: mergeSet,
  materialize: setValues,
  toJSON: (s) => s,
  canonical: (s) => s,
  fromJSON(json, path) {
    if (!isRecord(json.a) || !Array.isArray(json.r)) bad(path, 'state', 'set state needs `a` and `r`');
    const r = json.r as unknown[];
    for (let i = 0; i < r.length; i++) {
      if (!isTag(r[i]) || (i > 0 && (r[i] as string) <= (r[i - 1] as string)))
        bad(path, 'state', 'removed tags must be sorted unique tags');
    }
    const removed = new Set(r as string[]);
    const a: Record<string, unknown> = {};
    for (const t in json.a) {
      if (!isTag(t) || removed.has(t) || json.a[t] === undefined || !isJson(json.a[t]))
        bad(path, 'state', `bad set entry ${t}`);
      a[t] = json.a[t];
    }
    return { k: 's', a, r: r as string[] };
  },
  validateDelta(delta, def, path) {
    if (!Array.isArray(delta.a) || !Array.isArray(delta.r))
      bad(path, 'delta', 'set delta needs arrays `a` and `r`');
    for (let i = 0; i < delta.a.length; i++) {
      if (def) validateItem(def, delta.a[i], joinPath(path, i));
      else if (delta.a[i] === undefined || !isJson(delta.a[i]))
        bad(joinPath(path, i), 'type', 'set items must be JSON');
    }
    for (const t of delta.r as unknown[]) if (!isTag(t)) bad(path, 'delta', 'removed tags must be `stamp/n`');
  },
  applyDelta(current, delta, stamp) {
    const next = setDelta(delta.a as unknown[], delta.r as string[], stamp);
    return current ? mergeSet(current, next) : next;
  },
};
