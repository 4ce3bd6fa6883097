import type { Doc } from '../query/types.js';
import type { LiveQuery } from './LiveQuery.js';

const MAX_ROUTE_KEYS = 64;

interface Route {
  fields: string[];
  byKey: Map<unknown, Set<LiveQuery>>;
}

/**
 * Routes writes to the live queries they can affect. A query with equalities on top-level
 * fields is filed under the tuple of those values (all of them: `{ status: 'open', site: 's1' }`
 * is filed under `open|s1`), so a write only visits the queries filed under its old and new
 * values of those fields, plus the queries that have no such equality. Touched queries are
 * flushed once per commit, so a batch or transaction notifies each subscriber once.
 */
export class LiveRegistry {
  private readonly unrouted = new Set<LiveQuery>();
  /** Route per field combination, keyed by the sorted field names. */
  private readonly routes = new Map<string, Route>();
  private readonly routeOf = new Map<LiveQuery, { route: string; keys: unknown[] }>();
  private readonly pending = new Set<LiveQuery>();

  /** True when some query has writes it has not published yet. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  get size(): number {
    return this.routeOf.size + this.unrouted.size;
  }

  add(q: LiveQuery): void {
    const fields: string[] = [];
    const lists: unknown[][] = [];
    let combos = 1;
    for (const [field, c] of [...q.query.constraints].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!c.equals || field.includes('.') || combos * c.equals.length > MAX_ROUTE_KEYS) continue;
      fields.push(field);
      lists.push(c.equals);
      combos *= c.equals.length;
    }
    if (fields.length === 0) {
      this.unrouted.add(q);
      return;
    }
    const name = fields.join('\u0000');
    let route = this.routes.get(name);
    if (!route) this.routes.set(name, (route = { fields, byKey: new Map() }));
    const keys = cartesian(lists).map(encode);
    for (const k of keys) {
      let set = route.byKey.get(k);
      if (!set) route.byKey.set(k, (set = new Set()));
      set.add(q);
    }
    this.routeOf.set(q, { route: name, keys });
  }

  delete(q: LiveQuery): void {
    this.pending.delete(q);
    if (this.unrouted.delete(q)) return;
    const filed = this.routeOf.get(q);
    if (!filed) return;
    this.routeOf.delete(q);
    const route = this.routes.get(filed.route);
    if (!route) return;
    for (const k of filed.keys) {
      const set = route.byKey.get(k);
      set?.delete(q);
      if (set?.size === 0) route.byKey.delete(k);
    }
    if (route.byKey.size === 0) this.routes.delete(filed.route);
  }

  /** Feeds one document write to the queries it can affect; they publish on `flush()`. */
  write(id: string, before: Doc | undefined, after: Doc | undefined): void {
    for (const q of this.unrouted) this.touch(q, id, before, after);
    if (this.routes.size === 0) return;
    let visited: Set<LiveQuery> | undefined;
    for (const route of this.routes.values()) {
      for (const doc of [before, after]) {
        if (!doc) continue;
        for (const key of keysOf(doc, route.fields)) {
          const set = route.byKey.get(key);
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

/** The route keys a document falls under: one per combination of its (array) values. */
function keysOf(doc: Doc, fields: string[]): unknown[] {
  if (fields.length === 1) {
    const v = doc[fields[0] as string];
    return Array.isArray(v) ? v : [v === undefined ? null : v];
  }
  // Common case first: no array values, exactly one key.
  const values: unknown[] = [];
  let arrays = false;
  for (const f of fields) {
    const v = doc[f];
    if (Array.isArray(v)) arrays = true;
    values.push(v === undefined ? null : v);
  }
  if (!arrays) return [JSON.stringify(values)];
  return cartesian(values.map((v) => (Array.isArray(v) ? v : [v]))).map(encode);
}

function encode(tuple: unknown[]): unknown {
  return tuple.length === 1 ? tuple[0] : JSON.stringify(tuple);
}

function cartesian(lists: unknown[][]): unknown[][] {
  let out: unknown[][] = [[]];
  for (const l of lists) out = out.flatMap((t) => l.map((v) => [...t, v]));
  return out;
}
