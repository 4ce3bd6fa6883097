import type { CommitBatch, LoadedState, StorageAdapter, StoredChange, StoredDoc } from '../StorageAdapter.js';

/**
 * Keeps everything in this process. Useful for tests, ephemeral caches and benchmarks; passing
 * the same instance to a new `createDatabase` (after closing the old one) reopens it, which is
 * how restore is tested without a disk. Not durable across processes, by definition.
 *
 * It keeps the database's document states by reference (`keepsLiveState`): a copy would double
 * the memory of a 100k-document database for no benefit, since both live in the same heap.
 */
export class MemoryStorage implements StorageAdapter {
  readonly keepsLiveState: boolean = true;
  private readonly docs = new Map<string, Map<string, StoredDoc>>();
  private readonly outbox = new Map<string, StoredChange>();
  private readonly meta = new Map<string, string>();
  private closed = false;

  async open(): Promise<LoadedState> {
    this.closed = false;
    return {
      docs: [...this.docs.values()].flatMap((m) => [...m.values()]),
      outbox: [...this.outbox.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((c) => ({ ...c })),
      meta: new Map(this.meta),
    };
  }

  async commit(batch: CommitBatch): Promise<void> {
    this.commitSync(batch);
  }

  /** The same commit without a promise (the database uses it to skip a microtask per write). */
  commitSync(batch: CommitBatch): void {
    if (this.closed) throw new Error('MemoryStorage is closed');
    if (batch.docs) {
      for (const d of batch.docs) {
        let m = this.docs.get(d.collection);
        if (!m) this.docs.set(d.collection, (m = new Map()));
        m.set(d.id, d);
      }
    }
    if (batch.deleteDocs) for (const d of batch.deleteDocs) this.docs.get(d.collection)?.delete(d.id);
    if (batch.outboxAdd) for (const c of batch.outboxAdd) this.outbox.set(c.id, c);
    if (batch.outboxRemove) for (const id of batch.outboxRemove) this.outbox.delete(id);
    if (batch.outboxReject) {
      for (const { id, reason } of batch.outboxReject) {
        const c = this.outbox.get(id);
        if (c) this.outbox.set(id, { ...c, rejected: reason });
      }
    }
    if (batch.meta) for (const [k, v] of batch.meta) this.meta.set(k, v);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
