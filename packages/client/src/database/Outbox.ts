import type { SyncOutbox } from '../sync/SyncHost.js';
import type { StoredChange } from '../storage/StorageAdapter.js';
import type { CommitQueue } from './CommitQueue.js';
import { InsertRuns, type InsertRun } from './InsertRuns.js';

/** Rebuilds the change of an insert held by reference from its document's current row. */
export type InsertResolver = (stamp: string, docId: string, run: InsertRun) => unknown;

/**
 * In-memory mirror of the persisted outbox. Pending changes stay in creation order; a rejected
 * change is moved aside (kept and visible through `rejected()`), so it never blocks the ones
 * behind it. Every mutation goes through the commit queue and resolves once durable.
 *
 * The inserts of a bulk load are held by reference (`pushRef`): the pending entry is the
 * document id, and the change is rebuilt from the document's row when it is read, as long as
 * the document is unchanged; the database calls `release` before it changes it, which puts the
 * rebuilt change in its place. 100,000 unsynced inserts then cost one map entry each, not a
 * change object and its values.
 */
export class Outbox implements SyncOutbox {
  /** Change id → the change, or (a string) the id of the inserted document it refers to. */
  private readonly pending = new Map<string, unknown>();
  private readonly runs = new InsertRuns();
  private refs = 0;
  private readonly rejectedChanges = new Map<string, { change: unknown; reason: string }>();
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  constructor(
    private readonly queue: () => CommitQueue,
    loaded: readonly StoredChange[],
    private readonly resolve: InsertResolver,
  ) {
    for (const c of loaded) {
      if (c.rejected === undefined) this.pending.set(c.id, c.change);
      else this.rejectedChanges.set(c.id, { change: c.change, reason: c.rejected });
    }
  }

  /** Queues a local change (called by the write path; persisted in the same batch as the doc). */
  push(id: string, change: unknown): void {
    this.pending.set(id, change);
    this.queue().addChange({ id, change });
    this.changed();
  }

  /** Starts a run of inserts to be held by reference (see `pushRef`). */
  beginRun(run: Omit<InsertRun, 'count' | 'last'>): InsertRun {
    return this.runs.begin(run);
  }

  /**
   * Queues an insert of `run` by reference to its document `docId`, whose row must be plain and
   * hold exactly the change's values at its stamp. `change` is what storage persists.
   */
  pushRef(run: InsertRun, docId: string, change: { id: string }): void {
    this.pending.set(change.id, docId);
    run.last = change.id;
    run.count++;
    this.refs++;
    this.queue().addChange({ id: change.id, change });
    this.changed();
  }

  /** True while some insert is held by reference (writes must then call `release`). */
  get holdsRefs(): boolean {
    return this.refs > 0;
  }

  /** The document `docId`, whose row has stamp `stamp`, is about to change: keep its insert as a change. */
  release(stamp: string, docId: string, collection: string): void {
    if (this.pending.get(stamp) !== docId || this.runs.find(stamp)?.collection !== collection) return;
    this.pending.set(stamp, this.change(stamp, docId));
    this.unref(stamp);
  }

  private unref(stamp: string): void {
    this.refs--;
    this.runs.release(stamp);
  }

  /** The change behind a pending entry (rebuilt when held by reference). */
  private change(id: string, entry: unknown): unknown {
    return typeof entry === 'string' ? this.resolve(id, entry, this.runs.find(id) as InsertRun) : entry;
  }

  /** Listeners hear of new changes once per tick (a 100k-document insert is one event). */
  private changed(): void {
    if (this.notifyScheduled || this.listeners.size === 0) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      for (const l of [...this.listeners]) l();
    });
  }

  /** SyncOutbox: the sync client pushes right after a local write instead of polling. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets a change of a rolled-back transaction (its storage write was staged and dropped). */
  drop(id: string): void {
    this.delete(id);
  }

  /** Forgets the `n` most recently queued changes (a bulk insert that failed part way). */
  dropNewest(n: number): void {
    if (n === 0) return;
    const ids = [...this.pending.keys()].slice(-n);
    for (const id of ids) this.delete(id);
  }

  /** Removes a pending entry; false if there is none. */
  private delete(id: string): boolean {
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    this.pending.delete(id);
    if (typeof entry === 'string') this.unref(id);
    return true;
  }

  async peek(n: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const [id, entry] of this.pending) {
      if (out.length >= n) break;
      out.push(this.change(id, entry));
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => this.delete(id) || this.rejectedChanges.delete(id));
    if (known.length === 0) return;
    this.queue().removeChanges(known);
    await this.queue().durable();
  }

  async reject(id: string, reason: string): Promise<void> {
    if (!this.setAside(id, reason)) return;
    this.queue().rejectChange(id, reason);
    await this.queue().durable();
  }

  async count(): Promise<number> {
    return this.pending.size;
  }

  /** Pending and rejected changes as stored, ordered by change id (an attached adapter reopening). */
  stored(): StoredChange[] {
    const out: StoredChange[] = [];
    for (const [id, entry] of this.pending) out.push({ id, change: this.change(id, entry) });
    for (const [id, r] of this.rejectedChanges) out.push({ id, change: r.change, rejected: r.reason });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Changes the server refused, with its reason, so the app can show them. */
  rejected(): Array<{ id: string; change: unknown; reason: string }> {
    return [...this.rejectedChanges].map(([id, r]) => ({ id, ...r }));
  }

  /** Mirrors another tab's outbox mutations (already persisted by that tab). */
  mirror(add: readonly StoredChange[], remove: readonly string[], rejected: ReadonlyArray<{ id: string; reason: string }>): void {
    for (const c of add) this.pending.set(c.id, c.change);
    if (add.length > 0) this.changed();
    for (const id of remove) {
      this.delete(id);
      this.rejectedChanges.delete(id);
    }
    for (const r of rejected) this.setAside(r.id, r.reason);
  }

  /** Moves a pending change aside as rejected; false if it is not pending. */
  private setAside(id: string, reason: string): boolean {
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    const change = this.change(id, entry);
    this.delete(id);
    this.rejectedChanges.set(id, { change, reason });
    return true;
  }
}
