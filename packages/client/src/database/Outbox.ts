import type { SyncOutbox } from '../sync/SyncHost.js';
import type { StoredChange } from '../storage/StorageAdapter.js';
import type { CommitQueue } from './CommitQueue.js';

/**
 * In-memory mirror of the persisted outbox. Pending changes stay in creation order; a rejected
 * change is moved aside (kept and visible through `rejected()`), so it never blocks the ones
 * behind it. Every mutation goes through the commit queue and resolves once durable.
 */
export class Outbox implements SyncOutbox {
  private readonly pending = new Map<string, unknown>();
  private readonly rejectedChanges = new Map<string, { change: unknown; reason: string }>();
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  constructor(
    private readonly queue: () => CommitQueue,
    loaded: readonly StoredChange[],
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
    this.pending.delete(id);
  }

  async peek(n: number): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const change of this.pending.values()) {
      if (out.length >= n) break;
      out.push(change);
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    const known = ids.filter((id) => this.pending.delete(id) || this.rejectedChanges.delete(id));
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
    for (const [id, change] of this.pending) out.push({ id, change });
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
      this.pending.delete(id);
      this.rejectedChanges.delete(id);
    }
    for (const r of rejected) this.setAside(r.id, r.reason);
  }

  /** Moves a pending change aside as rejected; false if it is not pending. */
  private setAside(id: string, reason: string): boolean {
    const change = this.pending.get(id);
    if (change === undefined) return false;
    this.pending.delete(id);
    this.rejectedChanges.set(id, { change, reason });
    return true;
  }
}
