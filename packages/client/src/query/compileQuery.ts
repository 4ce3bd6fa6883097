import type { Constraints } from './analyzeSelector.js';
import { analyzeSelector } from './analyzeSelector.js';
import type { Predicate } from './compileSelector.js';
import { compileSelector } from './compileSelector.js';
import type { Comparator, SortKey } from './compileSort.js';
import { compileSort, parseSort } from './compileSort.js';
import type { Projector } from './compileProjection.js';
import { compileProjection } from './compileProjection.js';
import { QueryError } from './errors.js';
import type { FindOptions } from './types.js';

/** Everything a cursor, the planner and a live query need, validated and compiled once. */
export interface CompiledQuery {
  predicate: Predicate;
  constraints: Constraints;
  /** The constraints are the whole selector (see `Analysis.complete`). */
  complete: boolean;
  sortKeys: SortKey[];
  /** Total order of results: the sort keys, then `id` (so unsorted results are in id order). */
  compare: Comparator;
  skip: number;
  limit: number | undefined;
  project: Projector | undefined;
}

const OPTION_KEYS = new Set(['sort', 'skip', 'limit', 'fields']);

export function compileQuery(selector: unknown, options: FindOptions = {}): CompiledQuery {
  if (options === null || typeof options !== 'object')
    throw new QueryError('options must be an object', 'options');
  for (const k of Object.keys(options))
    if (!OPTION_KEYS.has(k)) throw new QueryError(`unknown option "${k}"`, `options.${k}`);
  const predicate = compileSelector(selector);
  const sortKeys = parseSort(options.sort);
  const { constraints, complete } = analyzeSelector(selector);
  return {
    predicate,
    constraints,
    complete,
    sortKeys,
    compare: compileSort(sortKeys),
    skip: count(options.skip, 'skip') ?? 0,
    limit: count(options.limit, 'limit'),
    project: compileProjection(options.fields),
  };
}

function count(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new QueryError(`${name} must be a non-negative integer`, name);
  return v;
}
