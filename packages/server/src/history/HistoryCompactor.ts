import type { StorageEngine } from '../storage/StorageEngine.js';
import { mayHoldSetTombstones, withoutSetTombstones } from './setTombstones.js';

/** Default history horizon: 30 days (docs/protocol.md, "History horizon"). */
export const DEFAULT_HISTORY_HORIZON_MS = 30 * 24 * 3_600_000;

/** What one compaction pass did. */
export interface CompactionReport {
  /** History up to this cursor is compacted (pulls from below it get 410). */
  compacted: number;
  changeIds: number;
  deletedDocs: number;
  /** Documents whose set tombstones were dropped. */
  setDocs: number;
  ms: number;
}

/** Rows per step to start with; adapted so that one step takes about STEP_MS. */
const FIRST_BATCH = 2_000;
const MIN_BATCH = 100;
const MAX_BATCH = 20_000;
/**
 * Target duration of one compaction step. A push waits for at most one step (the SQLite writer
 * alternates steps with groups of pushes), so this bounds what compaction adds to a push's latency.
 */
const STEP_MS = 8;

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Compacts history older than the horizon: change ids, deleted documents and set tombstones whose
 * last write is older than `horizonMs`.
 *
 * Which sequences are "older than the horizon" is learned from time marks: every pass records
 * (now, head) and the cut is the highest head recorded at or before `now − horizon` — sequences
 * are assigned at commit, so everything up to that head was committed before then. (Stamps cannot
 * be used: they are the devices' clocks, and a change made offline a month ago may have arrived
 * a minute ago.) The `compacted` cursor is raised BEFORE anything is removed, so a pull that may
 * have missed a removed row always sees the raised cursor and answers 410.
 *
 * Every removal is a small step in its own transaction (rows per step adapted to take ~8 ms),
 * with a turn of the event loop between steps: pushes are never held up for long.
 */
export class HistoryCompactor {
  readonly #storage: StorageEngine;
  readonly horizonMs: number;
  #running: Promise<CompactionReport> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #batch = FIRST_BATCH;

  constructor(storage: StorageEngine, horizonMs: number) {
    if (!(horizonMs > 0)) throw new Error(`the history horizon must be positive, got ${horizonMs} ms`);
    this.#storage = storage;
    this.horizonMs = horizonMs;
  }

  /** Runs a pass every `everyMs` (errors are logged; the next pass tries again). */
  start(everyMs: number): void {
    if (this.#timer || !Number.isFinite(this.horizonMs)) return;
    const tick = (): void => {
      void this.run().catch((e: unknown) => console.error('[fieldsync] history compaction failed', e));
    };
    tick(); // the first time mark at startup
    this.#timer = setInterval(tick, everyMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass (concurrent callers share the pass in progress). */
  run(now = Date.now()): Promise<CompactionReport> {
    this.#running ??= this.#pass(now).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(now: number): Promise<CompactionReport> {
    const start = performance.now();
    const m = this.#storage.maintenance;
    await m.mark(now);
    const cut = Number.isFinite(this.horizonMs) ? await m.headAt(now - this.horizonMs) : 0;
    const before = await m.compacted();
    if (cut > before) await m.setCompacted(cut);
    const upTo = Math.max(before, cut);
    const report: CompactionReport = { compacted: upTo, changeIds: 0, deletedDocs: 0, setDocs: 0, ms: 0 };
    if (upTo > 0) {
      report.changeIds = await this.#drain((n) => m.deleteChanges(upTo, n));
      report.deletedDocs = await this.#drain((n) => m.deleteTombstones(upTo, n));
      report.setDocs = await this.#sweepSets(upTo);
      if (Number.isFinite(this.horizonMs)) await m.pruneMarks(now - this.horizonMs);
    }
    report.ms = performance.now() - start;
    return report;
  }

  /** Runs a removal step until it removes less than asked, adapting the step size. */
  async #drain(step: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const limit = this.#batch;
      const t = performance.now();
      const n = await step(limit);
      const ms = performance.now() - t;
      total += n;
      if (n < limit) return total;
      if (ms > 2 * STEP_MS) this.#batch = Math.max(MIN_BATCH, Math.floor(limit / 2));
      else if (ms < STEP_MS / 2) this.#batch = Math.min(MAX_BATCH, limit * 2);
      await yieldTurn();
    }
  }

  /**
   * Drops set tombstones of documents that became older than the horizon since the last sweep
   * (`swept < seq ≤ upTo`): a document written since keeps them until it is quiet again.
   */
  async #sweepSets(upTo: number): Promise<number> {
    const m = this.#storage.maintenance;
    const from = await m.swept();
    if (from >= upTo) return 0;
    let n = 0;
    for (const tenant of await m.tenants()) {
      for (let since = from; ;) {
        const page = await this.#storage.pull(tenant, { since, upTo, limit: 500 });
        const rows: Array<{ id: string; seq: number; state: string }> = [];
        for (const d of page.docs) {
          if (!mayHoldSetTombstones(d.state)) continue;
          const state = withoutSetTombstones(d.state);
          if (state !== undefined) rows.push({ id: d.id, seq: d.seq, state });
        }
        if (rows.length > 0) n += await m.rewrite(tenant, rows);
        if (!page.more) break;
        since = page.cursor;
        await yieldTurn();
      }
    }
    await m.setSwept(upTo);
    return n;
  }
}
