import type { IndexSpec } from './indexKey.js';
import { compileKeys, encodeKey } from './indexKey.js';

type Docish = Record<string, unknown>;

/**
 * Equality index: key → ids. Single-field primitive keys are used as Map keys directly (no string
 * building per write); compound and object keys are encoded as JSON.
 */
export class HashIndex {
  readonly kind = 'hash' as const;
  readonly name: string;
  readonly fields: string[];
  /** True once a document was listed under several keys (array values): scans must dedupe. */
  multikey = false;
  private readonly keysOf: (doc: Docish) => unknown[][];
  private readonly buckets = new Map<unknown, Set<string>>();

  constructor(spec: IndexSpec) {
    this.fields = spec.fields;
    this.name = spec.name ?? `hash:${spec.fields.join('+')}`;
    this.keysOf = compileKeys(spec.fields);
  }

  /**
   * Moves a document from its old keys to its new ones, computing each side's keys once; a write
   * that leaves this index's keys as they were costs two key computations and nothing else.
   */
  update(before: Docish | undefined, after: Docish | undefined): void {
    const id = ((after ?? before) as Docish).id as string;
    const old = before ? this.keysOf(before).map(encodeKey) : [];
    const next = after ? this.keysOf(after).map(encodeKey) : [];
    if (old.length === next.length && old.every((k, i) => k === next[i])) return;
    if (next.length > 1) this.multikey = true;
    for (const k of old) {
      const b = this.buckets.get(k);
      if (!b) continue;
      b.delete(id);
      if (b.size === 0) this.buckets.delete(k);
    }
    for (const k of next) {
      let b = this.buckets.get(k);
      if (!b) this.buckets.set(k, (b = new Set()));
      b.add(id);
    }
  }

  /** Ids for one tuple of field values (in `fields` order). */
  lookup(values: unknown[]): ReadonlySet<string> | undefined {
    return this.buckets.get(encodeKey(values));
  }

  /** Rebuilds from `docs`, which may show every document through one reused object: keep neither it nor its identity. */
  build(docs: Iterable<Docish>): void {
    this.buckets.clear();
    for (const d of docs) this.update(undefined, d);
  }
}
