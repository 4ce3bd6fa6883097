/**
 * One validation of untrusted values, identical for every storage engine: what the protocol
 * boundary (http/) and the domain code behind it (sync/: changes, merged states, filters) both
 * check before core or an engine sees a value. It lives outside http/ because domain code must
 * not depend on the transport.
 *
 * Why here and not in the engines: SQLite stores any JavaScript string, PostgreSQL refuses NUL
 * (U+0000) in `text`/`jsonb` and node-postgres rewrites lone surrogates to U+FFFD on the way in.
 * Left to the engines, the same change would be accepted by one and fail a whole transaction on
 * the other (and two tenant ids differing only in a lone surrogate would become one tenant).
 * Checking here gives one rule everywhere, answered per change with its path.
 *
 * The walk is iterative: a value nested 20,000 levels deep is refused without recursion, so no
 * validator further in (core's, which recurses) ever sees it.
 */

/**
 * Most JSON nesting levels of one change. A change of a type nested to core's limit
 * (`MAX_TYPE_NESTING`, 32 object levels) is 65 levels deep (two per object level plus the
 * envelope); 100 leaves room and stays far below any stack limit.
 */
export const MAX_CHANGE_DEPTH = 100;

export interface BoundaryProblem {
  /** Where, e.g. `changes[3].ops.title`. */
  path: string;
  /** The rule broken: `nul`, `lone-surrogate`, `depth`, `control-char`, `length`. */
  rule: string;
  message: string;
}

/** `String.prototype.isWellFormed` (Node 20; not yet in TypeScript's ES2023 lib). */
type WellFormed = string & { isWellFormed(): boolean };

/** NUL or a lone surrogate: the two things no engine stores faithfully. */
export function stringRule(s: string): 'nul' | 'lone-surrogate' | undefined {
  if (s.includes('\u0000')) return 'nul';
  if (!(s as WellFormed).isWellFormed()) return 'lone-surrogate';
  return undefined;
}

/** Why a string broken by `stringRule` is refused (for messages). */
export const STRING_MESSAGE = {
  nul: 'contains NUL (U+0000), which is not storable text',
  'lone-surrogate': 'contains a lone UTF-16 surrogate (e.g. a string cut inside an emoji)',
} as const;

const key = (base: string, k: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? (base === '' ? k : `${base}.${k}`) : `${base}[${JSON.stringify(k)}]`;

/**
 * The first problem in a JSON value (object keys included), or undefined. The fast pass builds
 * no paths (pushes are the hot path); only a value with a problem is walked again for its path.
 */
export function valueProblem(
  value: unknown,
  base: string,
  maxDepth = MAX_CHANGE_DEPTH,
): BoundaryProblem | undefined {
  if (!hasProblem(value, maxDepth)) return undefined;
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: base, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { v, path, depth } = top;
    if (typeof v === 'string') {
      const rule = stringRule(v);
      if (rule) return { path, rule, message: `${path || 'value'} ${STRING_MESSAGE[rule]}` };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth)
      return { path, rule: 'depth', message: `${path || 'value'} is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      const rule = stringRule(k);
      const p = key(path, rule ? JSON.stringify(k) : k);
      if (rule) return { path: p, rule, message: `key ${p} ${STRING_MESSAGE[rule]}` };
      stack.push({ v: (v as Record<string, unknown>)[k], path: p, depth: depth + 1 });
    }
  }
  return undefined;
}

function hasProblem(value: unknown, maxDepth: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() as number;
    if (typeof v === 'string') {
      if (stringRule(v)) return true;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return true;
    if (Array.isArray(v)) {
      for (const x of v) {
        values.push(x);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const k in v) {
      if (stringRule(k)) return true;
      values.push((v as Record<string, unknown>)[k]);
      depths.push(depth + 1);
    }
  }
  return false;
}
