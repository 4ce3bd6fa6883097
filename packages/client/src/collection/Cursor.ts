import type { LiveQuery, LiveStart } from '../live/LiveQuery.js';
import { startLive } from '../live/LiveQuery.js';
import type { QueryListener } from '../live/ResultChange.js';
import type { CompiledQuery } from '../query/compileQuery.js';
import { compileQueryCached } from '../query/queryCache.js';
import type { Doc, FindOptions } from '../query/types.js';
import type { QuerySource } from './runQuery.js';
import { runQuery } from './runQuery.js';

/** What `cursor.explain()` reports: the chosen plan, the alternatives and the work done. */
export interface Explain {
  plan: 'scan' | 'hash' | 'ordered';
  index: string | null;
  detail: string;
  /** The index already yields the requested order (no sort step; `limit` stops early). */
  sortedByIndex: boolean;
  examined: number;
  returned: number;
  candidates: Array<{ plan: string; index: string | null; cost: number }>;
}

/** What a cursor runs against: the collection's documents and indexes, and its live-query registry. */
export interface CursorSource extends QuerySource {
  /** Grows with every change to the documents (results computed at one value hold until it moves). */
  readonly version: number;
  /** Starts a live query, from `start` (a run of the cursor's query at the current version) if given. */
  openLive(cursor: Cursor, start?: LiveStart): LiveQuery;
  closeLive(live: LiveQuery): void;
}

/**
 * A query over one collection. Compiled once at creation; `fetch` plans and runs it against the
 * current documents; `subscribe` keeps it live (one maintained query per cursor, shared by its
 * listeners).
 */
export class Cursor {
  readonly query: CompiledQuery;
  private live: LiveQuery | undefined;
  /** The run made by `current()` while not live, and the collection version it was made at. */
  private seed: { version: number; start: LiveStart } | undefined;

  constructor(
    private readonly collection: CursorSource,
    selector: unknown,
    options?: FindOptions,
  ) {
    this.query = compileQueryCached(selector, options);
  }

  fetch(): Doc[] {
    const { docs } = runQuery(this.collection, this.query, true);
    const { skip, project } = this.query;
    const page = skip > 0 ? docs.slice(skip) : docs;
    return project ? page.map((d) => project(d) as Doc) : page;
  }

  /** Number of results, honouring skip and limit. */
  count(): number {
    const { docs } = runQuery(this.collection, this.query, true);
    return Math.max(0, docs.length - this.query.skip);
  }

  explain(): Explain {
    const run = runQuery(this.collection, this.query, true);
    return {
      plan: run.plan.kind,
      index: run.plan.index?.name ?? null,
      detail: run.plan.detail(),
      sortedByIndex: run.plan.sorted,
      examined: run.examined,
      returned: Math.max(0, run.docs.length - this.query.skip),
      candidates: run.candidates.map((c) => ({ plan: c.kind, index: c.index?.name ?? null, cost: c.cost })),
    };
  }

  /**
   * The results `subscribe` reports first, frozen (the array and its documents). While the cursor
   * is live they are its live query's, read without running anything. Otherwise the query runs
   * now, and a `subscribe` made before the collection changes again starts from this run instead
   * of running the query a second time: a binding renders from it before it subscribes (React's
   * `getSnapshot`, Svelte's first render), and the live query then reports this same array.
   */
  current(): readonly Doc[] {
    if (this.live) return this.live.results;
    const start = startLive(this.query, this.collection);
    this.seed = { version: this.collection.version, start };
    return start.output;
  }

  /** True when `other` runs the same compiled query on the same collection (so it gives the same results). */
  sameQuery(other: Cursor): boolean {
    return other.collection === this.collection && other.query === this.query;
  }

  /**
   * Calls `listener` now with the current results, then once per commit that changes them, with
   * the new results and what changed. Returns the function that stops it.
   */
  subscribe(listener: QueryListener): () => void {
    if (!this.live) {
      const seed = this.seed;
      this.seed = undefined;
      this.live = this.collection.openLive(
        this,
        seed !== undefined && seed.version === this.collection.version ? seed.start : undefined,
      );
    }
    const live = this.live;
    live.addListener(listener);
    return () => {
      live.removeListener(listener);
      if (live.listenerCount === 0 && this.live === live) {
        this.collection.closeLive(live);
        this.live = undefined;
      }
    };
  }
}
