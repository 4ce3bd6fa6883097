import type { QuerySource } from '../collection/runQuery.js';
import { runQuery } from '../collection/runQuery.js';
import type { CompiledQuery } from '../query/compileQuery.js';
import type { Comparator } from '../query/compileSort.js';
import type { Doc } from '../query/types.js';
import { diffMatches, diffResults } from './diffResults.js';
import { PendingMerge } from './PendingMerge.js';
import type { QueryListener, ResultChange } from './ResultChange.js';

/**
 * Where a live query starts: every match in result order (frozen: shared with listeners), the
 * visible window (`skip`/`limit`) and the results listeners get (projected, frozen).
 */
export interface LiveStart {
  readonly matched: Doc[];
  readonly visible: readonly Doc[];
  readonly output: readonly Doc[];
}

/** Runs `query` once for a live query (`Cursor.current` runs it ahead of `subscribe`). */
export function startLive(query: CompiledQuery, source: QuerySource): LiveStart {
  const matched = runQuery(source, query, false).docs;
  // A query may build its documents fresh and unfrozen; these are shared with every listener.
  for (const d of matched) Object.freeze(d);
  const visible = windowOf(matched, query);
  return { matched, visible, output: projectAll(visible, query) };
}

/**
 * One maintained query. It keeps every match in result order and applies the first write of a
 * commit with a binary search, the rest in one merge at the end of the commit (no re-run of the
 * query), then, once per commit, publishes the visible window (`skip`/`limit`) and how it changed.
 */
export class LiveQuery {
  private readonly matched: Doc[];
  private readonly members = new Set<string>();
  private visible: readonly Doc[];
  private output: readonly Doc[];
  /** Ids written since the last flush, kept only once there are two (one is `lastId`). */
  private readonly touched = new Set<string>();
  /**
   * Each id written since the last flush: its version in the published results (undefined if
   * not there) and its latest version if it matches — where `diffMatches` looks for it.
   */
  private readonly touchedDocs: {
    compare: Comparator;
    before: Map<string, Doc | undefined>;
    after: Map<string, Doc | undefined>;
  };
  /** The last applied write and its positions, for the common one-write commit (see `flush`). */
  private lastId = '';
  private lastFrom = -1;
  private lastTo = -1;
  /** Writes applied since the last flush that concerned this query. */
  private events = 0;
  /**
   * Writes after the first of a commit are merged into `matched` once, at `flush` (see
   * `PendingMerge`): a first sync adds thousands of documents per commit, and splicing each into
   * an array of 100,000 was quadratic.
   */
  private readonly pending = new PendingMerge();
  /** Copied on change (rare), so a notification iterates it without a copy. */
  private listeners: readonly QueryListener[] = [];
  /** Bookkeeping of `LiveRegistry.write`: the number of the write that last visited this query. */
  visitedBy = 0;

  /** `start`: a run of `query` over `source` as it is now (it is taken over), else the query runs here. */
  constructor(
    readonly query: CompiledQuery,
    source: QuerySource,
    start: LiveStart = startLive(query, source),
  ) {
    this.touchedDocs = { compare: query.compare, before: new Map(), after: new Map() };
    this.matched = start.matched;
    for (const d of this.matched) this.members.add(d.id);
    this.visible = start.visible;
    this.output = start.output;
  }

  /** The current results (projected), the same array until the next change. */
  get results(): readonly Doc[] {
    return this.output;
  }

  get listenerCount(): number {
    return this.listeners.length;
  }

  /** Adds a listener and calls it at once with the current results (all reported as added). */
  addListener(listener: QueryListener): void {
    if (!this.listeners.includes(listener)) this.listeners = [...this.listeners, listener];
    listener(
      this.output,
      this.output.map((doc, index): ResultChange => ({ type: 'added', doc, index })),
    );
  }

  removeListener(listener: QueryListener): void {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }

  /** Applies one document write; `before`/`after` are undefined for insert/removal. */
  apply(id: string, before: Doc | undefined, after: Doc | undefined): void {
    const was = before !== undefined && this.members.has(id);
    const is = after !== undefined && this.query.predicate(after);
    if (!was && !is) return;
    const { before: prior, after: latest } = this.touchedDocs;
    if (!prior.has(id)) prior.set(id, was ? before : undefined);
    latest.set(id, is ? after : undefined);
    if (this.events > 0) {
      // Not the commit's first write: `flush` diffs, so no positions are needed now.
      if (this.events === 1) this.touched.add(this.lastId);
      this.touched.add(id);
      if (was) this.members.delete(id);
      if (is) this.members.add(id);
      this.pending.write(id, was, is ? after : undefined);
      this.events++;
      return;
    }
    let from = -1;
    let to = -1;
    if (was) {
      from = this.find(before);
      if (from >= 0) this.matched.splice(from, 1);
      this.members.delete(id);
    }
    if (is) {
      to = this.insertionPoint(after);
      this.matched.splice(to, 0, after);
      this.members.add(id);
    }
    this.lastId = id;
    this.lastFrom = from;
    this.lastTo = to;
    this.events++;
  }

  /** Publishes the accumulated writes (once per commit). Returns true if listeners were called. */
  flush(): boolean {
    if (this.events === 0) return false;
    this.pending.mergeInto(this.matched, this.query.compare);
    const next = windowOf(this.matched, this.query);
    let changes: ResultChange[];
    if (this.events === 1 && this.unwindowed()) changes = this.singleChange(next);
    else {
      if (this.events === 1) this.touched.add(this.lastId);
      changes = this.unwindowed()
        ? diffMatches(this.visible, next, this.touched, this.touchedDocs)
        : diffResults(this.visible, next, this.touched);
      this.touched.clear();
    }
    this.touchedDocs.before.clear();
    this.touchedDocs.after.clear();
    this.events = 0;
    if (changes.length === 0) return false;
    this.visible = next;
    this.output = projectAll(next, this.query);
    const { project } = this.query;
    const out = project
      ? changes.map((c) =>
          c.type === 'added' || c.type === 'changed' ? { ...c, doc: project(c.doc) as Doc } : c,
        )
      : changes;
    for (const l of this.listeners) {
      try {
        l(this.output, out);
      } catch (e) {
        // One failing listener must not starve the others; surface it asynchronously.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    return true;
  }

  private unwindowed(): boolean {
    return this.query.skip === 0 && this.query.limit === undefined;
  }

  /**
   * One write, no window: the positions recorded by `apply` are the answer, no diff needed.
   * (`from` is its index in the previous results, `to` in the new ones; everything else kept its
   * relative order, so it moved exactly when `from !== to`.)
   */
  private singleChange(next: readonly Doc[]): ResultChange[] {
    const id = this.lastId;
    const from = this.lastFrom;
    const to = this.lastTo;
    if (from < 0) return [{ type: 'added', doc: next[to] as Doc, index: to }];
    if (to < 0) return [{ type: 'removed', id, index: from }];
    const doc = next[to] as Doc;
    const changes: ResultChange[] = [];
    if (this.visible[from] !== doc) changes.push({ type: 'changed', doc, index: to });
    if (from !== to) changes.push({ type: 'moved', id, from, to });
    return changes;
  }

  private insertionPoint(doc: Doc): number {
    let lo = 0;
    let hi = this.matched.length;
    const cmp = this.query.compare;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(this.matched[mid] as Doc, doc) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private find(doc: Doc): number {
    const i = this.insertionPoint(doc);
    if (this.matched[i]?.id === doc.id) return i;
    // The stored copy compares equal to `before` by construction; fall back to a scan if a
    // caller handed a different object with the same order.
    return this.matched.findIndex((d) => d.id === doc.id);
  }
}

/** The visible part of the matches (`skip`/`limit`): a copy, as the matches keep changing. */
function windowOf(matched: readonly Doc[], query: CompiledQuery): readonly Doc[] {
  const { skip, limit } = query;
  return matched.slice(skip, limit === undefined ? undefined : skip + limit);
}

/** The results listeners get: the window projected (`fields`), frozen. */
function projectAll(docs: readonly Doc[], query: CompiledQuery): readonly Doc[] {
  const p = query.project;
  return Object.freeze(p ? docs.map((d) => p(d) as Doc) : docs);
}
