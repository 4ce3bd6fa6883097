import { isOperatorObject, isPlainObject } from './compileSelector.js';

/** Index-usable facts about one field, read from the selector's top-level conjunction. */
export interface FieldConstraint {
  /** Primitive values the field must equal (one for `$eq`, several for `$in`). */
  equals?: unknown[];
  lower?: { value: unknown; inclusive: boolean };
  upper?: { value: unknown; inclusive: boolean };
}

export type Constraints = Map<string, FieldConstraint>;

/**
 * Extracts what the planner and the live-query router can use: equalities, `$in` lists and
 * ranges on primitive values that every match must satisfy. Anything it does not understand is
 * simply left out (the full predicate is always re-applied), so this never changes results.
 * Call only on selectors that `compileSelector` accepted.
 */
export function analyzeSelector(selector: unknown, out: Constraints = new Map()): Constraints {
  if (!isPlainObject(selector)) return out;
  for (const [key, cond] of Object.entries(selector)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const sub of cond) analyzeSelector(sub, out);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (isPrimitive(cond)) {
      constrain(out, key).equals = intersect(out.get(key)?.equals, [cond]);
      continue;
    }
    if (!isOperatorObject(cond, key)) continue;
    for (const [op, v] of Object.entries(cond)) {
      if (op === '$eq' && isPrimitive(v)) constrain(out, key).equals = intersect(out.get(key)?.equals, [v]);
      else if (op === '$in' && Array.isArray(v) && v.every(isPrimitive)) {
        constrain(out, key).equals = intersect(out.get(key)?.equals, v);
      } else if ((op === '$gt' || op === '$gte') && isPrimitive(v)) {
        constrain(out, key).lower = { value: v, inclusive: op === '$gte' };
      } else if ((op === '$lt' || op === '$lte') && isPrimitive(v)) {
        constrain(out, key).upper = { value: v, inclusive: op === '$lte' };
      }
    }
  }
  return out;
}

function constrain(out: Constraints, key: string): FieldConstraint {
  let c = out.get(key);
  if (!c) out.set(key, (c = {}));
  return c;
}

function intersect(prev: unknown[] | undefined, next: unknown[]): unknown[] {
  if (!prev) return [...new Set(next)];
  const keep = new Set(next);
  return prev.filter((v) => keep.has(v));
}

/** Strings, finite numbers and booleans: the values hash and ordered indexes key on. */
export function isPrimitive(v: unknown): v is string | number | boolean {
  const t = typeof v;
  return t === 'string' || t === 'boolean' || (t === 'number' && !Number.isNaN(v));
}
