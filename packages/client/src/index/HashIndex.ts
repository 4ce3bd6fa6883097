import type { IndexSpec } from './indexKey.js';
import { compileKeys } from './indexKey.js';

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

  add(doc: Docish): void {
    const tuples = this.keysOf(doc);
    if (tuples.length > 1) this.multikey = true;
    for (const t of tuples) {
      const k = encode(t);
      let b = this.buckets.get(k);
      if (!b) this.buckets.set(k, (b = new Set()));
      b.add(doc.id as string);
    }
  }

  remove(doc: Docish): void {
    for (const t of this.keysOf(doc)) {
      const k = encode(t);
      const b = this.buckets.get(k);
      if (!b) continue;
      b.delete(doc.id as string);
      if (b.size === 0) this.buckets.delete(k);
    }
  }

  /** False when a write leaves this index's keys as they were, so the index can be skipped. */
  affected(before: Docish, after: Docish): boolean {
    const a = this.keysOf(before);
    const b = this.keysOf(after);
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (encode(a[i] as unknown[]) !== encode(b[i] as unknown[])) return true;
    return false;
  }

  /** Ids for one tuple of field values (in `fields` order). */
  lookup(values: unknown[]): ReadonlySet<string> | undefined {
    return this.buckets.get(encode(values));
  }

  build(docs: Iterable<Docish>): void {
    this.buckets.clear();
    for (const d of docs) this.add(d);
  }
}

function encode(tuple: unknown[]): unknown {
  if (tuple.length === 1) {
    const v = tuple[0];
    if (v === null || typeof v !== 'object') return v;
  }
  return JSON.stringify(tuple);
}
