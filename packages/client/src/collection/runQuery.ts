import type { Plan, SecondaryIndex } from '../index/planner.js';
import { planQuery } from '../index/planner.js';
import type { CompiledQuery } from '../query/compileQuery.js';
import type { Doc } from '../query/types.js';

/** What a query runs against: the live documents and the collection's secondary indexes. */
export interface QuerySource {
  readonly docs: ReadonlyMap<string, Doc>;
  readonly indexes: readonly SecondaryIndex[];
  /**
   * A candidate's document, for sources that build documents on read: like `docs.get`, but what
   * it builds is not cached (a query examining thousands must not push out the documents read
   * by id). Without it, `docs.get` is used.
   */
  peek?(id: string): Doc | undefined;
}

export interface QueryRun {
  /** Matches in result order; only the first `skip + limit` when `windowed`. */
  docs: Doc[];
  plan: Plan;
  candidates: Plan[];
  examined: number;
}

/**
 * Plans and executes a compiled query. With `windowed`, a plan that yields sort order stops
 * after `skip + limit` matches; otherwise every match is collected and sorted.
 */
export function runQuery(source: QuerySource, q: CompiledQuery, windowed: boolean): QueryRun {
  const { best: plan, candidates } = planQuery(source.indexes, {
    constraints: q.constraints,
    complete: q.complete,
    sort: q.sortKeys,
    skip: q.skip,
    limit: q.limit,
    total: source.docs.size,
    allIds: () => source.docs.keys(),
  });
  const want = windowed && q.limit !== undefined ? q.skip + q.limit : Infinity;
  const out: Doc[] = [];
  const seen = plan.dedupe ? new Set<string>() : undefined;
  let examined = 0;
  const read = source.peek
    ? (id: string) => (source.peek as (id: string) => Doc | undefined).call(source, id)
    : (id: string) => source.docs.get(id);
  const pred = plan.exact ? undefined : q.predicate;
  for (const id of plan.ids()) {
    if (seen) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    const doc = read(id);
    examined++;
    if (doc === undefined || (pred !== undefined && !pred(doc))) continue;
    out.push(doc);
    if (plan.sorted && out.length >= want) break;
  }
  if (!plan.sorted && out.length > 1) out.sort(q.compare);
  if (want !== Infinity && out.length > want) out.length = want;
  return { docs: out, plan, candidates, examined };
}
