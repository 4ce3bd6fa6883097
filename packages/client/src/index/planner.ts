import { compareValues } from '../query/compareValues.js';
import { cartesian } from './indexKey.js';
import type { Constraints } from '../query/analyzeSelector.js';
import type { SortKey } from '../query/compileSort.js';
import type { Bound } from './SortedList.js';
import type { HashIndex } from './HashIndex.js';
import type { OrderedIndex } from './OrderedIndex.js';

export type SecondaryIndex = HashIndex | OrderedIndex;

/** A way to produce candidate ids; the full predicate is always applied to each candidate. */
export interface Plan {
  kind: 'scan' | 'hash' | 'ordered';
  index?: SecondaryIndex;
  /** Candidate ids, possibly with duplicates when `dedupe` (multikey indexes). */
  ids: () => Iterable<string>;
  dedupe: boolean;
  /** Candidates already come in the query's sort order, so a limit can stop the scan early. */
  sorted: boolean;
  /** Candidates are exactly the matches: the predicate need not be re-checked. */
  exact: boolean;
  /** Estimated candidates examined if the whole source is drained. */
  examine: number;
  /** Comparable cost used to pick the plan (lower is better); set by `planQuery`. */
  cost: number;
  /** Human-readable description for `explain()` (built only when asked for). */
  detail: () => string;
}

export interface PlanInput {
  constraints: Constraints;
  complete: boolean;
  sort: SortKey[];
  skip: number;
  limit: number | undefined;
  total: number;
  allIds: () => Iterable<string>;
}

const MAX_COMBINATIONS = 256;

/**
 * Picks the cheapest candidate source: a hash index whose fields all have equalities, an
 * ordered index with an equality prefix and/or a range, an ordered index that yields the
 * requested sort order (so `limit` stops early), or a full scan. Costs are estimates from index
 * bucket sizes, which are exact for hash indexes and chunk-granular for ordered ones.
 */
export function planQuery(
  indexes: readonly SecondaryIndex[],
  input: PlanInput,
): { best: Plan; candidates: Plan[] } {
  const candidates: Plan[] = [
    {
      kind: 'scan',
      ids: input.allIds,
      dedupe: false,
      sorted: false,
      exact: false,
      examine: input.total,
      cost: 0,
      detail: () => 'full scan',
    },
  ];
  for (const index of indexes) {
    const p = index.kind === 'hash' ? hashPlan(index, input) : orderedPlan(index, input);
    if (p) candidates.push(p);
  }
  let matchEstimate = Infinity;
  for (const p of candidates) if (p.examine < matchEstimate) matchEstimate = p.examine;
  matchEstimate = Math.max(1, matchEstimate);
  const wanted = input.limit === undefined ? undefined : input.skip + input.limit;
  let best = candidates[0] as Plan;
  for (const p of candidates) {
    if (p.sorted && wanted !== undefined) p.cost = Math.min(p.examine, (wanted * p.examine) / matchEstimate);
    else p.cost = p.examine + (p.sorted ? 0 : p.examine * 0.1);
    if (p.cost < best.cost) best = p;
  }
  return { best, candidates };
}

function hashPlan(index: HashIndex, input: PlanInput): Plan | undefined {
  const lists: unknown[][] = [];
  for (const f of index.fields) {
    const eq = input.constraints.get(f)?.equals;
    if (!eq) return undefined;
    lists.push(eq);
  }
  const combos = lists.every((l) => l.length === 1)
    ? [lists.map((l) => l[0])]
    : cartesian(lists, MAX_COMBINATIONS);
  if (combos.length > MAX_COMBINATIONS) return undefined;
  const buckets = combos.map((c) => index.lookup(c));
  let examine = 0;
  for (const b of buckets) examine += b?.size ?? 0;
  let exact = input.complete;
  if (exact)
    for (const [f, c] of input.constraints)
      if (!index.fields.includes(f) || c.lower || c.upper) exact = false;
  return {
    kind: 'hash',
    index,
    ids: buckets.length === 1 ? () => buckets[0] ?? [] : () => buckets.flatMap((b) => (b ? [...b] : [])),
    dedupe: index.multikey || combos.length > 1,
    sorted: false,
    // Hash buckets hold exactly the documents whose value (or an element of it) equals the key,
    // which is the selector's equality rule; ranges are not exact (they span value kinds).
    exact,
    examine,
    cost: 0,
    detail: () => `${index.name} = ${JSON.stringify(combos.length === 1 ? combos[0] : combos)}`,
  };
}

function orderedPlan(index: OrderedIndex, input: PlanInput): Plan | undefined {
  const prefix: unknown[] = [];
  let p = 0;
  for (; p < index.fields.length; p++) {
    const eq = input.constraints.get(index.fields[p] as string)?.equals;
    if (!eq || eq.length !== 1) break;
    prefix.push(eq[0]);
  }
  const next = index.fields[p];
  const c = next === undefined ? undefined : input.constraints.get(next);
  let lower: Bound | undefined = c?.lower;
  let upper: Bound | undefined = c?.upper;
  if (c?.equals && c.equals.length > 1) {
    // $in on the range field: scan from the smallest to the largest listed value.
    const sorted = [...c.equals].sort(compareValues);
    lower = { value: sorted[0], inclusive: true };
    upper = { value: sorted[sorted.length - 1], inclusive: true };
  }
  const order = providesSort(index, p, input);
  if (prefix.length === 0 && !lower && !upper && order === undefined) return undefined;
  const descending = order === -1;
  return {
    kind: 'ordered',
    index,
    ids: () => index.scan(prefix, lower, upper, descending),
    dedupe: index.multikey,
    sorted: order !== undefined,
    exact: false,
    examine: index.estimate(prefix, lower, upper),
    cost: 0,
    detail: () =>
      `${index.name} prefix=${JSON.stringify(prefix)}${lower ? ` ${lower.inclusive ? '>=' : '>'} ${JSON.stringify(lower.value)}` : ''}${upper ? ` ${upper.inclusive ? '<=' : '<'} ${JSON.stringify(upper.value)}` : ''}${order ? ` order ${descending ? 'desc' : 'asc'}` : ''}`,
  };
}

/**
 * The index yields the query's order when the sort keys (ignoring fields pinned by equality)
 * are exactly the index fields after the prefix, all in one direction. Returns that direction.
 */
function providesSort(index: OrderedIndex, prefixLength: number, input: PlanInput): 1 | -1 | undefined {
  // Unsorted queries return id order, which no secondary index yields.
  if (index.multikey || input.sort.length === 0) return undefined;
  const keys = input.sort.filter((k) => input.constraints.get(k.path)?.equals?.length !== 1);
  const rest = index.fields.slice(prefixLength);
  if (keys.length === 0 || keys.length !== rest.length) return undefined;
  const dir = (keys[0] as SortKey).dir;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as SortKey;
    if (k.path !== rest[i] || k.dir !== dir) return undefined;
  }
  return dir;
}
