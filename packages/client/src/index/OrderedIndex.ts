import { compareNumbers, compareValues, MAX_KEY as MAX } from '../query/compareValues.js';
import type { IndexSpec } from './indexKey.js';
import { compileKeys } from './indexKey.js';
import type { Bound } from './SortedList.js';
import { comparePair, SortedList } from './SortedList.js';

type Docish = Record<string, unknown>;

/**
 * Range index over one field or a tuple of fields (compared lexicographically). It answers
 * equality on a prefix plus a range on the next field, and yields ids in key order so a query
 * sorted on the indexed fields can stop after `skip + limit` matches.
 */
export class OrderedIndex {
  readonly kind = 'ordered' as const;
  readonly name: string;
  readonly fields: string[];
  multikey = false;
  private readonly keysOf: (doc: Docish) => unknown[][];
  private readonly list = new SortedList();
  private readonly single: boolean;
  /** The indexed field when it is one top-level field (a write then reads it, no tuples built). */
  private readonly field: string | undefined;

  constructor(spec: IndexSpec) {
    this.fields = spec.fields;
    this.name = spec.name ?? `ordered:${spec.fields.join('+')}`;
    this.keysOf = compileKeys(spec.fields);
    this.single = spec.fields.length === 1;
    this.field =
      this.single && !(spec.fields[0] as string).includes('.') ? (spec.fields[0] as string) : undefined;
  }

  get size(): number {
    return this.list.size;
  }

  private key(t: unknown[]): unknown {
    return this.single ? t[0] : t;
  }

  /** Moves a document from its old keys to its new ones (each side's keys computed once). */
  update(before: Docish | undefined, after: Docish | undefined): void {
    const id = ((after ?? before) as Docish).id as string;
    const f = this.field;
    if (f !== undefined) {
      const a = before?.[f];
      const b = after?.[f];
      if (!Array.isArray(a) && !Array.isArray(b)) {
        // One key per side: what keysOf would give (a missing value is keyed as null).
        const was = a === undefined ? null : a;
        const is = b === undefined ? null : b;
        if (before !== undefined && after !== undefined && compareValues(was, is) === 0) return;
        if (before !== undefined) this.list.remove(was, id);
        if (after !== undefined) this.list.insert(is, id);
        return;
      }
    }
    const old = before ? this.keysOf(before) : [];
    const next = after ? this.keysOf(after) : [];
    if (old.length === next.length && old.every((t, i) => compareValues(t, next[i]) === 0)) return;
    if (next.length > 1) this.multikey = true;
    for (const t of old) this.list.remove(this.key(t), id);
    for (const t of next) this.list.insert(this.key(t), id);
  }

  /**
   * Bulk build: one sort instead of 100k splices. `docs` may show every document through one
   * reused object: keep neither it nor its identity. A single plain field is read directly, and
   * when every key is a number the sort compares numbers, not `compareValues` pairs.
   */
  build(docs: Iterable<Docish>): void {
    const keys: unknown[] = [];
    const ids: string[] = [];
    let numbers = true;
    const field = this.field;
    for (const d of docs) {
      const v = field === undefined ? undefined : d[field];
      if (field !== undefined && !Array.isArray(v)) {
        const k = v === undefined ? null : v;
        if (typeof k !== 'number') numbers = false;
        keys.push(k);
        ids.push(d.id as string);
        continue;
      }
      const tuples = this.keysOf(d);
      if (tuples.length > 1) this.multikey = true;
      for (const t of tuples) {
        const k = this.key(t);
        if (typeof k !== 'number') numbers = false;
        keys.push(k);
        ids.push(d.id as string);
      }
    }
    const order: number[] = new Array<number>(keys.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (numbers) {
      const nums = keys as number[];
      order.sort((a, b) => {
        const c = compareNumbers(nums[a] as number, nums[b] as number);
        return c !== 0 ? c : compareIds(ids[a] as string, ids[b] as string);
      });
    } else order.sort((a, b) => comparePair(keys[a], ids[a] as string, keys[b], ids[b] as string));
    this.list.load(
      order.map((i) => keys[i]),
      order.map((i) => ids[i] as string),
    );
  }

  /**
   * Scans ids whose key starts with `prefix` (equality on the first fields) and whose next field
   * lies within the bounds.
   */
  scan(
    prefix: unknown[],
    lower: Bound | undefined,
    upper: Bound | undefined,
    descending: boolean,
  ): Iterable<string> {
    const [lo, hi] = this.bounds(prefix, lower, upper);
    return this.list.range(lo, hi, descending);
  }

  estimate(prefix: unknown[], lower: Bound | undefined, upper: Bound | undefined): number {
    const [lo, hi] = this.bounds(prefix, lower, upper);
    return this.list.estimate(lo, hi);
  }

  private bounds(
    prefix: unknown[],
    lower: Bound | undefined,
    upper: Bound | undefined,
  ): [Bound | undefined, Bound | undefined] {
    if (this.single) {
      if (prefix.length === 1)
        return [
          { value: prefix[0], inclusive: true },
          { value: prefix[0], inclusive: true },
        ];
      return [lower, upper];
    }
    // Tuples: [p] sorts before every [p, x]; [p, MAX_KEY] after every [p, x, …].
    const lo: Bound = lower
      ? lower.inclusive
        ? { value: [...prefix, lower.value], inclusive: true }
        : { value: [...prefix, lower.value, MAX], inclusive: false }
      : { value: prefix, inclusive: true };
    const hi: Bound = upper
      ? {
          value: upper.inclusive ? [...prefix, upper.value, MAX] : [...prefix, upper.value],
          inclusive: false,
        }
      : { value: [...prefix, MAX], inclusive: false };
    return [prefix.length === 0 && !lower ? undefined : lo, prefix.length === 0 && !upper ? undefined : hi];
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
