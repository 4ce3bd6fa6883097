import type { Doc } from '../query/types.js';
import type { LiveQuery } from './LiveQuery.js';

/**
 * Routes writes to the live queries they can affect. A query with an equality on a top-level
 * field is filed under (field, value); a write only visits the queries filed under its old and
 * new values of those fields, plus the queries that have no such equality. Touched queries are
 * flushed once per commit, so a batch or transaction notifies each subscriber once.
 */
export class LiveRegistry {
  private readonly unrouted = new Set<LiveQuery>();
  private readonly routes = new Map<string, Map<unknown, Set<LiveQuery>>>();
  private readonly routeOf = new Map<LiveQuery, string>();
  private readonly pending = new Set<LiveQuery>();

  /** @param pickField chooses the most selective equality field of a query (or undefined). */
  constructor(private readonly pickField: (q: LiveQuery) => string | undefined) {}

  /** True when some query has writes it has not published yet. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  get size(): number {
    return this.routeOf.size + this.unrouted.size;
  }

  add(q: LiveQuery): void {
    const field = this.pickField(q);
    const values = field === undefined ? undefined : q.query.constraints.get(field)?.equals;
    if (field === undefined || !values || field.includes('.')) {
      this.unrouted.add(q);
      return;
    }
    let byValue = this.routes.get(field);
    if (!byValue) this.routes.set(field, (byValue = new Map()));
    for (const v of values) {
      let set = byValue.get(v);
      if (!set) byValue.set(v, (set = new Set()));
      set.add(q);
    }
    this.routeOf.set(q, field);
  }

  delete(q: LiveQuery): void {
    this.pending.delete(q);
    if (this.unrouted.delete(q)) return;
    const field = this.routeOf.get(q);
    if (field === undefined) return;
    this.routeOf.delete(q);
    const byValue = this.routes.get(field);
    if (!byValue) return;
    for (const [v, set] of byValue) {
      set.delete(q);
      if (set.size === 0) byValue.delete(v);
    }
    if (byValue.size === 0) this.routes.delete(field);
  }

  /** Feeds one document write to the queries it can affect; they publish on `flush()`. */
  write(id: string, before: Doc | undefined, after: Doc | undefined): void {
    for (const q of this.unrouted) this.touch(q, id, before, after);
    if (this.routes.size === 0) return;
    let visited: Set<LiveQuery> | undefined;
    for (const [field, byValue] of this.routes) {
      for (const doc of [before, after]) {
        if (!doc) continue;
        const v = doc[field];
        for (const key of Array.isArray(v) ? v : [v === undefined ? null : v]) {
          const set = byValue.get(key);
          if (!set) continue;
          for (const q of set) {
            if (visited?.has(q)) continue;
            (visited ??= new Set()).add(q);
            this.touch(q, id, before, after);
          }
        }
      }
    }
  }

  /** Notifies every query touched since the last flush, once. */
  flush(): void {
    if (this.pending.size === 0) return;
    const queries = [...this.pending];
    this.pending.clear();
    for (const q of queries) q.flush();
  }

  private touch(q: LiveQuery, id: string, before: Doc | undefined, after: Doc | undefined): void {
    q.apply(id, before, after);
    this.pending.add(q);
  }
}
