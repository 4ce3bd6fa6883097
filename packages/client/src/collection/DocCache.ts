import type { Doc } from '../query/types.js';

/**
 * Recently read documents, in two generations of up to `limit` each: when the current one is
 * full it becomes the previous one and a new one starts. Two generations instead of evicting one
 * entry at a time: deleting from the front of a `Map` leaves holes its iterator has to skip, which
 * made each eviction slower than the read it saved.
 */
export class DocCache {
  private current = new Map<string, Doc>();
  private older = new Map<string, Doc>();

  constructor(private readonly limit: number) {}

  /** A cached document; one found in the previous generation is carried over to the current. */
  get(id: string): Doc | undefined {
    const doc = this.current.get(id);
    if (doc !== undefined || this.older.size === 0) return doc;
    const old = this.older.get(id);
    if (old !== undefined) this.set(id, old);
    return old;
  }

  /** A cached document, without carrying it over (a scan must not reorder what was read by id). */
  peek(id: string): Doc | undefined {
    if (this.current.size + this.older.size === 0) return undefined;
    return this.current.get(id) ?? this.older.get(id);
  }

  set(id: string, doc: Doc): void {
    if (this.current.size >= this.limit) {
      this.older = this.current;
      this.current = new Map();
    }
    this.current.set(id, doc);
  }

  delete(id: string): void {
    this.current.delete(id);
    if (this.older.size > 0) this.older.delete(id);
  }

  clear(): void {
    this.current.clear();
    this.older.clear();
  }
}
