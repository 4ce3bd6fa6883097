import { isOperatorObject, isPlainObject } from './compileSelector.js';

/** Index-usable facts about one field, read from the selector's top-level conjunction. */
export interface FieldConstraint {
  /** Primitive values the field must equal (one for `$eq`, several for `$in`). */
  equals?: unknown[];
  lower?: { value: unknown; inclusive: boolean };
  upper?: { value: unknown; inclusive: boolean };
}

export type Constraints = Map<string, FieldConstraint>;

/** Constraints plus whether they say everything the selector says. */
export interface Analysis {
  constraints: Constraints;
  /**
   * True when the selector is exactly the conjunction of the extracted constraints (nothing
   * else: no `$or`, `$ne`, regex, null, object values…). An index that answers all of them
   * then returns exactly the matches, and the predicate need not be re-run on its candidates.
   */
  complete: boolean;
}

/**
 * Extracts what the planner and the live-query router can use: equalities, `$in` lists and
 * ranges on primitive values that every match must satisfy. Anything it does not understand is
 * left out (and the analysis marked incomplete), so this never changes results. Call only on
 * selectors that `compileSelector` accepted.
 */
export function analyzeSelector(selector: unknown): Analysis {
  const out: Analysis = { constraints: new Map(), complete: true };
  collect(selector, out);
  return out;
}

function collect(selector: unknown, out: Analysis): void {
  if (!isPlainObject(selector)) return;
  for (const [key, cond] of Object.entries(selector)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const sub of cond) collect(sub, out);
      continue;
    }
    if (key.startsWith('$')) {
      out.complete = false;
      continue;
    }
    const c = out.constraints;
    if (isPrimitive(cond)) {
      constrain(c, key).equals = intersect(c.get(key)?.equals, [cond]);
      continue;
    }
    if (!isOperatorObject(cond, key)) {
      out.complete = false;
      continue;
    }
    for (const [op, v] of Object.entries(cond)) {
      if (op === '$eq' && isPrimitive(v)) constrain(c, key).equals = intersect(c.get(key)?.equals, [v]);
      else if (op === '$in' && Array.isArray(v) && v.every(isPrimitive)) {
        constrain(c, key).equals = intersect(c.get(key)?.equals, v);
      } else if ((op === '$gt' || op === '$gte') && isPrimitive(v)) {
        constrain(c, key).lower = { value: v, inclusive: op === '$gte' };
      } else if ((op === '$lt' || op === '$lte') && isPrimitive(v)) {
        constrain(c, key).upper = { value: v, inclusive: op === '$lte' };
      } else out.complete = false;
    }
  }
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
