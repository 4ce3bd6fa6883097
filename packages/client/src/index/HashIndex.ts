import type { IndexSpec } from './indexKey.js';
import { compileKey, compileKeys, encodeKey, SEVERAL } from './indexKey.js';

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
  private readonly keyOf: (doc: Docish) => unknown;
  private readonly buckets = new Map<unknown, Set<string>>();

  constructor(spec: IndexSpec) {
    this.fields = spec.fields;
    this.name = spec.name ?? `hash:${spec.fields.join('+')}`;
    this.keysOf = compileKeys(spec.fields);
    this.keyOf = compileKey(spec.fields);
  }

  /**
   * Moves a document from its old keys to its new ones, computing each side's keys once; a write
   * that leaves this index's keys as they were costs two key computations and nothing else.
   */
  update(before: Docish | undefined, after: Docish | undefined): void {
    const id = ((after ?? before) as Docish).id as string;
    // One key per side (no arrays or objects in the fields): no tuple or key list is built.
    const was = before === undefined ? undefined : this.keyOf(before);
    const is = after === undefined ? undefined : this.keyOf(after);
    if (was !== SEVERAL && is !== SEVERAL) {
      if (before !== undefined && after !== undefined && was === is) return;
      if (before !== undefined) this.remove(was, id);
      if (after !== undefined) this.add(is, id);
      return;
    }
    const old = before ? this.keysOf(before).map(encodeKey) : [];
    const next = after ? this.keysOf(after).map(encodeKey) : [];
    if (old.length === next.length && old.every((k, i) => k === next[i])) return;
    if (next.length > 1) this.multikey = true;
    for (const k of old) this.remove(k, id);
    for (const k of next) this.add(k, id);
  }

  private remove(key: unknown, id: string): void {
    const b = this.buckets.get(key);
    if (!b) return;
    b.delete(id);
    if (b.size === 0) this.buckets.delete(key);
  }

  private add(key: unknown, id: string): void {
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new Set()));
    b.add(id);
  }

  /** Ids for one tuple of field values (in `fields` order). */
  lookup(values: unknown[]): ReadonlySet<string> | undefined {
    return this.buckets.get(encodeKey(values));
  }

  /**
   * Rebuilds from `docs`, which may show every document through one reused object: keep neither
   * it nor its identity. Plain fields are read directly, and each distinct tuple of values is
   * encoded once (a tree of maps on the values finds its bucket), instead of building a tuple and
   * a key string per document.
   */
  build(docs: Iterable<Docish>): void {
    this.buckets.clear();
    const { fields } = this;
    if (fields.some((f) => f.includes('.'))) {
      for (const d of docs) this.update(undefined, d);
      return;
    }
    const last = fields.length - 1;
    const tree = new Map<unknown, unknown>();
    const tuple: unknown[] = new Array<unknown>(fields.length);
    next: for (const d of docs) {
      let node = tree;
      for (let i = 0; i <= last; i++) {
        const v = d[fields[i] as string];
        if (Array.isArray(v)) {
          this.update(undefined, d);
          continue next;
        }
        tuple[i] = v === undefined ? null : v;
      }
      for (let i = 0; i < last; i++) {
        let child = node.get(tuple[i]) as Map<unknown, unknown> | undefined;
        if (child === undefined) node.set(tuple[i], (child = new Map()));
        node = child;
      }
      let bucket = node.get(tuple[last]) as Set<string> | undefined;
      if (bucket === undefined) {
        const key = encodeKey(tuple);
        bucket = this.buckets.get(key);
        if (bucket === undefined) this.buckets.set(key, (bucket = new Set()));
        node.set(tuple[last], bucket);
      }
      bucket.add(d.id as string);
    }
  }
}
