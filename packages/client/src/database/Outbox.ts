import type { RowWatcher } from '../collection/RowStore.js';
import type { SyncOutbox } from '../sync/SyncHost.js';
import type { StoredChange } from '../storage/StorageAdapter.js';
import type { OutboxObserver, OutboxScan } from '../syncstate/SyncStateIndex.js';
import type { CommitQueue } from './CommitQueue.js';
import { CapturedInsert, InsertRun, InsertRuns } from './InsertRuns.js';

/** What the outbox reads of a change to select it. */
export interface ChangeHead {
  doc: string;
  type: string;
  v: number;
}

/** The values (in `run.names` order) of an inserted document's row, unchanged since the insert. */
export type InsertResolver = (docId: string, run: InsertRun) => unknown[];

/**
 * In-memory mirror of the persisted outbox. Pending changes stay in creation order; a rejected
 * change is moved aside (kept and visible through `rejected()`), so it never blocks the ones
 * behind it. Every mutation goes through the commit queue and resolves once durable.
 *
 * The inserts of a bulk load are held by reference (`pushRef`): a run of them takes one map
 * entry (the run, at the place of its first insert), and each insert two array slots — its id
 * and its document's id; the change is rebuilt from the document's row when it is read, as long
 * as the document is unchanged. The database calls `release` before it changes such a document,
 * which captures the insert's values in its slot. 100,000 unsynced inserts then cost 16 bytes each,
 * not a change object, its values and a map entry.
 */
export class Outbox implements SyncOutbox {
  /** Change id → the change, or an `InsertRun` (keyed by its first insert's id). */
  private readonly pending = new Map<string, unknown>();
  private readonly runs = new InsertRuns();
  /** The run still taking inserts: any other change queued closes it (order must be kept). */
  private openRun: InsertRun | undefined;
  private size = 0;
  private refs = 0;
  private readonly rejectedChanges = new Map<string, { change: unknown; reason: string }>();
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;
  /** The per-document sync state index (syncstate/), told of every change entering or leaving. */
  observer: OutboxObserver | undefined;

  constructor(
    private readonly queue: () => CommitQueue,
    loaded: readonly StoredChange[],
    private readonly resolve: InsertResolver,
  ) {
    for (const c of loaded) {
      if (c.rejected === undefined) this.add(c.id, c.change);
      else this.rejectedChanges.set(c.id, { change: c.change, reason: c.rejected });
    }
  }

  /** Queues a local change (called by the write path; persisted in the same batch as the doc). */
  push(id: string, change: unknown): void {
    this.add(id, change);
    this.observer?.queued(id, (change as ChangeHead).doc, (change as ChangeHead).type);
    this.queue().addChange(id, change);
    this.changed();
  }

  private add(id: string, change: unknown): void {
    this.openRun = undefined;
    const before = this.pending.size;
    this.pending.set(id, change);
    if (this.pending.size > before) this.size++;
  }

  /**
   * Queues an insert of `run` by reference to its document `docId`, whose row must be plain and
   * hold exactly the change's values at its stamp; `row` is the row's number (a hint to find the
   * insert again, see `InsertRun.slotOf`). `change` is what storage persists. A run takes inserts
   * only until another change is queued.
   */
  pushRef(run: InsertRun, docId: string, change: { id: string }, row: number): void {
    if (run.stamps.length === 0) {
      this.pending.set(change.id, run);
      this.runs.add(run);
      this.openRun = run;
      run.firstRow = row;
    } else if (run !== this.openRun)
      throw new Error('outbox: an insert run was interrupted by another change');
    else if (row !== run.firstRow + run.stamps.length) run.consecutive = false;
    run.stamps.push(change.id);
    run.entries.push(docId);
    run.size++;
    this.size++;
    this.refs++;
    this.observer?.queued(change.id, docId, run.collection);
    this.queue().addChange(change.id, change);
    this.changed();
  }

  /** True while `run` may take more inserts (it is the last entry: nothing was queued after it). */
  takesInto(run: InsertRun): boolean {
    return run === this.openRun;
  }

  /** True while some insert is held by reference (writes must then call `release`). */
  get holdsRefs(): boolean {
    return this.refs > 0;
  }

  /** What a collection's rows tell the outbox before a row an insert may be held by changes. */
  rowWatcher(collection: string): RowWatcher {
    const holds = (): boolean => this.refs > 0;
    return {
      get active() {
        return holds();
      },
      beforeChange: (id, stamp, row) => this.release(stamp, id, collection, row),
    };
  }

  /** The document `docId`, whose row `row` has stamp `stamp`, is about to change: keep its insert as a change. */
  release(stamp: string, docId: string, collection: string, row: number): void {
    const run = this.runs.find(stamp);
    if (run === undefined || run.collection !== collection) return;
    const i = run.slotOf(stamp, row);
    if (i < 0 || run.entries[i] !== docId) return;
    run.entries[i] = new CapturedInsert(docId, this.resolve(docId, run));
    this.refs--;
  }

  /** Where change `id` is pending: a plain entry, or a slot of a run; undefined if it is not. */
  private locate(
    id: string,
  ): { run: InsertRun; i: number } | { run: undefined; change: unknown } | undefined {
    const value = this.pending.get(id);
    if (value !== undefined && !(value instanceof InsertRun)) return { run: undefined, change: value };
    const run = value ?? this.runs.find(id);
    if (run === undefined) return undefined;
    const i = run.indexOf(id);
    return i < 0 || run.entries[i] === undefined ? undefined : { run, i };
  }

  /** Every pending change in order, as [id, entry, run] (entry: a change, or a document id of `run`). */
  private *entries(): IterableIterator<[string, unknown, InsertRun | undefined]> {
    for (const [id, value] of this.pending) {
      if (!(value instanceof InsertRun)) {
        yield [id, value, undefined];
        continue;
      }
      for (let i = value.head; i < value.stamps.length; i++) {
        const entry = value.entries[i];
        if (entry !== undefined) yield [value.stamps[i] as string, entry, value];
      }
    }
  }

  /** The change behind an entry (built from the row, or from the captured values, for a run's). */
  private change(id: string, entry: unknown, run: InsertRun | undefined): unknown {
    if (run === undefined) return entry;
    return entry instanceof CapturedInsert
      ? run.change(id, entry.doc, entry.values)
      : run.change(id, entry as string, this.resolve(entry as string, run));
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
    this.observer?.removed([id]);
  }

  /** Forgets the `n` most recently queued changes (a bulk insert that failed part way). */
  dropNewest(n: number): void {
    if (n === 0) return;
    const ids = [...this.entries()].slice(-n).map(([id]) => id);
    for (const id of ids) this.delete(id);
    this.observer?.removed(ids);
  }

  /** Removes a pending change; false if it is not pending. */
  private delete(id: string): boolean {
    const at = this.locate(id);
    if (at === undefined) return false;
    this.size--;
    if (at.run === undefined) {
      this.pending.delete(id);
      return true;
    }
    const { run, i } = at;
    if (typeof run.entries[i] === 'string') this.refs--;
    run.entries[i] = undefined;
    while (run.head < run.stamps.length && run.entries[run.head] === undefined) run.head++;
    if (--run.size === 0) {
      this.pending.delete(run.first);
      this.runs.remove(run);
      if (this.openRun === run) this.openRun = undefined;
    }
    return true;
  }

  async peek(n: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const [id, entry, run] of this.entries()) {
      if (out.length >= n) break;
      out.push(this.change(id, entry, run));
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => this.delete(id) || this.rejectedChanges.delete(id));
    if (known.length === 0) return;
    this.observer?.acked(known);
    this.queue().removeChanges(known);
    await this.queue().durable();
  }

  async reject(id: string, reason: string): Promise<void> {
    if (!this.setAside(id, reason)) return;
    this.queue().rejectChange(id, reason);
    await this.queue().durable();
  }

  async count(): Promise<number> {
    return this.size;
  }

  /**
   * Removes a pending change and returns it (undefined if it is not pending). Used to re-issue a
   * change under a fresh stamp; persisted with the next batch.
   */
  take(id: string): unknown {
    const at = this.locate(id);
    if (at === undefined) return undefined;
    const change = at.run === undefined ? at.change : this.change(id, at.run.entries[at.i], at.run);
    this.delete(id);
    this.observer?.removed([id]);
    this.queue().removeChanges([id]);
    return change;
  }

  /** Removes a set-aside change and returns it (undefined if there is none with this id). */
  takeRejected(id: string): { change: unknown; reason: string } | undefined {
    const r = this.rejectedChanges.get(id);
    if (r === undefined) return undefined;
    this.rejectedChanges.delete(id);
    this.observer?.removed([id]);
    this.queue().removeChanges([id]);
    return r;
  }

  /** Pending and set-aside changes of document `doc`, by id (to rebuild it: applying them is a join). */
  changesOf(doc: string): Array<{ id: string; change: unknown }> {
    const out: Array<{ id: string; change: unknown }> = [];
    for (const [id, entry, run] of this.entries()) {
      if (run === undefined ? (entry as { doc?: unknown }).doc === doc : this.docOf(entry) === doc)
        out.push({ id, change: this.change(id, entry, run) });
    }
    for (const [id, r] of this.rejectedChanges)
      if ((r.change as { doc?: unknown }).doc === doc) out.push({ id, change: r.change });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The pending and set-aside changes for which `pred` holds: their ids and documents. */
  where(pred: (change: ChangeHead) => boolean): Array<{ id: string; doc: string }> {
    const out: Array<{ id: string; doc: string }> = [];
    for (const [id, entry, run] of this.entries()) {
      const c = this.change(id, entry, run) as ChangeHead;
      if (pred(c)) out.push({ id, doc: c.doc });
    }
    for (const [id, r] of this.rejectedChanges) {
      const c = r.change as ChangeHead;
      if (pred(c)) out.push({ id, doc: c.doc });
    }
    return out;
  }

  /** Removes a pending or set-aside change (dropped for good); false if there is none. */
  discard(id: string): boolean {
    this.observer?.discarded(id);
    if (this.take(id) !== undefined) return true;
    return this.takeRejected(id) !== undefined;
  }

  /** The document id of a run's entry (a document id, or a captured insert). */
  private docOf(entry: unknown): string {
    return entry instanceof CapturedInsert ? entry.doc : (entry as string);
  }

  async rejectedCount(): Promise<number> {
    return this.rejectedChanges.size;
  }

  /** Pending and rejected changes as stored, ordered by change id (an attached adapter reopening). */
  stored(): StoredChange[] {
    const out: StoredChange[] = [];
    for (const [id, entry, run] of this.entries()) out.push({ id, change: this.change(id, entry, run) });
    for (const [id, r] of this.rejectedChanges) out.push({ id, change: r.change, rejected: r.reason });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Visits every pending and set-aside change's id and document, without building changes. */
  readonly scan: OutboxScan = (visit) => {
    for (const [id, entry, run] of this.entries()) {
      if (run === undefined) visit(id, (entry as ChangeHead).doc, (entry as ChangeHead).type);
      else visit(id, this.docOf(entry), run.collection);
    }
    for (const [id, r] of this.rejectedChanges)
      visit(id, (r.change as ChangeHead).doc, (r.change as ChangeHead).type, r.reason);
  };

  /** Changes the server refused, with its reason, so the app can show them. */
  rejected(): Array<{ id: string; change: unknown; reason: string }> {
    return [...this.rejectedChanges].map(([id, r]) => ({ id, ...r }));
  }

  /** Mirrors another tab's outbox mutations (already persisted by that tab). */
  mirror(
    add: readonly StoredChange[],
    remove: readonly string[],
    rejected: ReadonlyArray<{ id: string; reason: string }>,
  ): void {
    for (const c of add) {
      this.add(c.id, c.change);
      this.observer?.queued(c.id, (c.change as ChangeHead).doc, (c.change as ChangeHead).type);
    }
    if (add.length > 0) this.changed();
    for (const id of remove) {
      this.delete(id);
      this.rejectedChanges.delete(id);
    }
    // The leader's removals are acknowledgements (or, rarely, re-issues and discards).
    if (remove.length > 0) this.observer?.acked(remove);
    for (const r of rejected) this.setAside(r.id, r.reason);
  }

  /** Moves a pending change aside as rejected; false if it is not pending. */
  private setAside(id: string, reason: string): boolean {
    const at = this.locate(id);
    if (at === undefined) return false;
    const change = at.run === undefined ? at.change : this.change(id, at.run.entries[at.i], at.run);
    this.delete(id);
    this.rejectedChanges.set(id, { change, reason });
    this.observer?.setAside(id, (change as ChangeHead).doc, (change as ChangeHead).type, reason);
    return true;
  }
}
