import { formatStamp } from '@fieldsync/core';
import type { StorageEngine } from '../storage/StorageEngine.js';
import { mayHoldSequences, withoutSequenceTombstones } from './sequenceTombstones.js';
import { mayHoldSetTombstones, withoutSetTombstones } from './setTombstones.js';

/** Default history horizon: 30 days (docs/protocol.md, "History horizon"). */
export const DEFAULT_HISTORY_HORIZON_MS = 30 * 24 * 3_600_000;

/** What one compaction pass did. */
export interface CompactionReport {
  /**
   * Per tenant (every tenant has its own sequence), the cursor up to which its history is
   * compacted (pulls from below it get 410); tenants with nothing compacted are left out.
   */
  compacted: Record<string, number>;
  /** Tenants the pass looked at. */
  tenants: number;
  changeIds: number;
  deletedDocs: number;
  /** Documents whose set tombstones were dropped. */
  setDocs: number;
  /** Documents whose text or list fields were compacted (sequence tombstones dropped). */
  sequenceDocs: number;
  ms: number;
}

/**
 * Rows per compaction step, at most. A push waits for at most one step (the SQLite writer
 * alternates steps with groups of pushes), so this bounds what compaction adds to a push's
 * latency: 1,000 deleted documents take ~2 ms of CPU; a change-id step on SQLite also stops after
 * ~8 ms (sqliteMaintenance.ts), on PostgreSQL it holds no lock a push needs.
 */
const CHANGE_STEP = 50_000;
const DOC_STEP = 1_000;
/** Main-thread time the quiet-document sweep takes before it lets other work run. */
const SWEEP_SLICE_MS = 8;

/** The smallest stamp prefix of wall time `ms`: every change id made before `ms` sorts below it. */
export const stampsBelow = (ms: number): string =>
  formatStamp(Math.max(0, Math.floor(ms)), 0, 'x').slice(0, 10);

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Compacts history older than the horizon: change ids made before it, and deleted documents, set
 * tombstones and sequence (text, list) tombstones whose last write is older than `horizonMs`.
 *
 * Change ids are kept to answer a retried push `duplicate` (and a claim of another's id
 * `id_conflict`); they are compacted by the wall time in the id (ids are stamps), in ranges of
 * their key. Forgetting one is harmless: a change merged twice is a no-op (a join), and its
 * replica stays bound to its user. A change made offline before the horizon and pushed now is
 * thus forgotten at the next pass — a retry of it is merged again, answered `ok`.
 *
 * Which sequences are "older than the horizon" is learned from time marks: every pass records
 * (now, head) per tenant, and a tenant's cut is its highest head recorded at or before
 * `now − horizon` — sequences are assigned at commit, so everything up to that head was
 * committed before then. Every tenant has its own sequence, so its own cut and `compacted`. (Stamps cannot
 * be used: they are the devices' clocks, and a change made offline a month ago may have arrived
 * a minute ago.) The `compacted` cursor is raised BEFORE anything is removed, so a pull that may
 * have missed a removed row always sees the raised cursor and answers 410.
 *
 * Every removal is a small step in its own transaction (CHANGE_STEP, DOC_STEP rows),
 * with a turn of the event loop between steps: pushes are never held up for long.
 */
export class HistoryCompactor {
  readonly #storage: StorageEngine;
  readonly horizonMs: number;
  #running: Promise<CompactionReport> | undefined;
  #timer: NodeJS.Timeout | undefined;

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
    const finite = Number.isFinite(this.horizonMs);
    await m.mark(now);
    const tenants = await m.tenants();
    const report: CompactionReport = {
      compacted: {},
      tenants: tenants.length,
      changeIds: 0,
      deletedDocs: 0,
      setDocs: 0,
      sequenceDocs: 0,
      ms: 0,
    };
    const below = stampsBelow(now - this.horizonMs);
    for (const tenant of tenants) {
      // Each tenant's cut is in its own sequence, from its own marks.
      const cut = finite ? await m.headAt(tenant, now - this.horizonMs) : 0;
      const before = await m.compacted(tenant);
      if (cut > before) await m.setCompacted(tenant, cut);
      const upTo = Math.max(before, cut);
      if (upTo > 0) report.compacted[tenant] = upTo;
      if (finite)
        report.changeIds += await this.#drain(CHANGE_STEP, (n) => m.deleteChanges(tenant, below, n));
      if (upTo > 0) {
        report.deletedDocs += await this.#drain(DOC_STEP, (n) => m.deleteTombstones(tenant, upTo, n));
        const swept = await this.#sweepQuiet(tenant, upTo);
        report.setDocs += swept.sets;
        report.sequenceDocs += swept.sequences;
      }
    }
    if (finite) await m.pruneMarks(now - this.horizonMs);
    report.ms = performance.now() - start;
    return report;
  }

  /**
   * Runs a removal step until it removes nothing (a step may stop early on its time budget), a
   * turn of the event loop between steps.
   */
  async #drain(limit: number, step: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await step(limit);
      total += n;
      if (n === 0) return total;
      await yieldTurn();
    }
  }

  /**
   * Drops set tombstones and compacts text and list fields (sequence tombstones) of the tenant's
   * documents that became older than the horizon since its last sweep (`swept < seq ≤ upTo`): a
   * document written since keeps them until it is quiet again. Each document is swept once per
   * quiet period; a rewrite keeps its sequence (`seq`), so nobody pulls it again.
   */
  async #sweepQuiet(tenant: string, upTo: number): Promise<{ sets: number; sequences: number }> {
    const m = this.#storage.maintenance;
    const from = await m.swept(tenant);
    const out = { sets: 0, sequences: 0 };
    if (from >= upTo) return out;
    for (let since = from; ;) {
      const page = await this.#storage.pull(tenant, { since, upTo, limit: 500 });
      const rows: Array<{ id: string; seq: number; state: string }> = [];
      let turn = performance.now();
      for (const d of page.docs) {
        // Compacting a long-edited text costs ~1 ms per 1,000 edits (decode, compact, encode):
        // a turn of the event loop every few ms keeps pushes and reads moving.
        if (performance.now() - turn > SWEEP_SLICE_MS) {
          await yieldTurn();
          turn = performance.now();
        }
        let state: string | undefined;
        if (mayHoldSetTombstones(d.state)) {
          state = withoutSetTombstones(d.state);
          if (state !== undefined) out.sets++;
        }
        if (mayHoldSequences(state ?? d.state)) {
          const compacted = withoutSequenceTombstones(state ?? d.state);
          if (compacted !== undefined) {
            state = compacted;
            out.sequences++;
          }
        }
        if (state !== undefined) rows.push({ id: d.id, seq: d.seq, state });
      }
      if (rows.length > 0) await m.rewrite(tenant, rows);
      if (!page.more) break;
      since = page.cursor;
      await yieldTurn();
    }
    await m.setSwept(tenant, upTo);
    return out;
  }
}
