import type { Doc } from '../query/types.js';
import { cartesian, compileKey, compileKeys, encodeKey, SEVERAL } from '../index/indexKey.js';
import type { LiveQuery } from './LiveQuery.js';

const MAX_ROUTE_KEYS = 64;

interface Route {
  /** The route keys of a document: the same tuples a hash index on these fields would use. */
  keysOf: (doc: Doc) => unknown[][];
  /** The one encoded key of a document, or `SEVERAL` (then `keysOf`; see `compileKey`). */
  keyOf: (doc: Doc) => unknown;
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
  /** The routes' values, for the write path (no iterator per write). */
  private routeList: Route[] = [];
  private readonly routeOf = new Map<LiveQuery, { route: string; keys: unknown[] }>();
  private pending = new Set<LiveQuery>();
  /** The set `flush` swaps in for `pending` (no array copied per commit); undefined while in use. */
  private spare: Set<LiveQuery> | undefined = new Set();
  /** Number of routed writes so far: a query visited by the current one has `visitedBy` equal to it. */
  private writes = 0;

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
    if (!route) {
      this.routes.set(
        name,
        (route = { keysOf: compileKeys(fields), keyOf: compileKey(fields), byKey: new Map() }),
      );
      this.routeList = [...this.routes.values()];
    }
    const keys = cartesian(lists).map(encodeKey);
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
    if (route.byKey.size === 0) {
      this.routes.delete(filed.route);
      this.routeList = [...this.routes.values()];
    }
  }

  /** Feeds one document write to the queries it can affect; they publish on `flush()`. */
  write(id: string, before: Doc | undefined, after: Doc | undefined): void {
    if (this.unrouted.size > 0) for (const q of this.unrouted) this.touch(q, id, before, after);
    const routes = this.routeList;
    if (routes.length === 0) return;
    // A query filed under several keys ($in) is visited once per write.
    const mark = ++this.writes;
    for (let r = 0; r < routes.length; r++) {
      const route = routes[r] as Route;
      const was = before === undefined ? undefined : route.keyOf(before);
      const is = after === undefined ? undefined : route.keyOf(after);
      if (was !== SEVERAL && is !== SEVERAL) {
        if (before !== undefined) this.visit(route, was, mark, id, before, after);
        if (after !== undefined && (before === undefined || is !== was))
          this.visit(route, is, mark, id, before, after);
        continue;
      }
      for (const doc of [before, after]) {
        if (doc === undefined) continue;
        for (const tuple of route.keysOf(doc)) this.visit(route, encodeKey(tuple), mark, id, before, after);
      }
    }
  }

  /** Notifies every query touched since the last flush, once. */
  flush(): void {
    const queries = this.pending;
    if (queries.size === 0) return;
    // Writes made by listeners go to a fresh set, published by the next flush.
    this.pending = this.spare ?? new Set();
    this.spare = undefined;
    try {
      for (const q of queries) q.flush();
    } finally {
      queries.clear();
      this.spare = queries;
    }
  }

  private visit(
    route: Route,
    key: unknown,
    mark: number,
    id: string,
    before: Doc | undefined,
    after: Doc | undefined,
  ): void {
    const set = route.byKey.get(key);
    if (set === undefined) return;
    for (const q of set) {
      if (q.visitedBy === mark) continue;
      q.visitedBy = mark;
      this.touch(q, id, before, after);
    }
  }

  private touch(q: LiveQuery, id: string, before: Doc | undefined, after: Doc | undefined): void {
    q.apply(id, before, after);
    this.pending.add(q);
  }
}
