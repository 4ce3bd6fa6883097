import { compareValues } from './compareValues.js';
import { QueryError } from './errors.js';
import { compileGetter } from './path.js';

export interface SortKey {
  path: string;
  /** 1 ascending, -1 descending. */
  dir: 1 | -1;
}

export type Comparator = (a: Record<string, unknown>, b: Record<string, unknown>) => number;

/** Normalises and validates a sort spec into keys (shared by planner and comparator). */
export function parseSort(spec: unknown): SortKey[] {
  if (spec === undefined) return [];
  const entries: Array<[string, unknown]> = Array.isArray(spec)
    ? spec.map((e, i) => {
        if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string')
          throw new QueryError('sort entry must be [path, direction]', `sort[${i}]`);
        return [e[0], e[1]];
      })
    : typeof spec === 'object' && spec !== null
      ? Object.entries(spec)
      : (() => {
          throw new QueryError('sort must be an object or an array of [path, direction]', 'sort');
        })();
  return entries.map(([path, d]) => {
    if (!path || path.startsWith('$')) throw new QueryError(`invalid sort path "${path}"`, 'sort');
    if (d === 1 || d === 'asc') return { path, dir: 1 as const };
    if (d === -1 || d === 'desc') return { path, dir: -1 as const };
    throw new QueryError(`sort direction must be 1, -1, 'asc' or 'desc'`, `sort.${path}`);
  });
}

/**
 * Builds a comparator over the sort keys, with `id` as the final tie-breaker so results (and the
 * positions reported to live-query subscribers) are deterministic. Ties on id follow the last
 * key's direction, which is exactly the order an ordered index yields when scanned that way.
 */
export function compileSort(keys: SortKey[]): Comparator {
  const getters = keys.map((k) => ({ get: compileGetter(k.path), dir: k.dir }));
  const tieDir = keys.length > 0 ? (keys[keys.length - 1] as SortKey).dir : 1;
  if (getters.length === 0) {
    // Unsorted queries (the most common) are in id order: skip the key loop entirely.
    return (a, b) => {
      const ia = a.id as string;
      const ib = b.id as string;
      return ia < ib ? -1 : ia > ib ? 1 : 0;
    };
  }
  return (a, b) => {
    for (const { get, dir } of getters) {
      const c = compareValues(get(a), get(b));
      if (c !== 0) return c * dir;
    }
    const ia = a.id as string;
    const ib = b.id as string;
    return (ia < ib ? -1 : ia > ib ? 1 : 0) * tieDir;
  };
}
