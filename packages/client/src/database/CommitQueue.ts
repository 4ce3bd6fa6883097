import type { CommitBatch, StorageAdapter, StoredChange } from '../storage/StorageAdapter.js';

interface Pending {
  docs: Map<string, { collection: string; id: string }>;
  deleteDocs: Map<string, { collection: string; id: string }>;
  outboxAdd: StoredChange[];
  outboxRemove: string[];
  outboxReject: Array<{ id: string; reason: string }>;
  meta: Map<string, string>;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
}

/**
 * Group commit. Writes made in the same tick (a loop of inserts, a transaction) are merged into
 * one storage batch, so 100k inserts cost one SQLite/IndexedDB transaction, not 100k. Document
 * states are serialized when the batch is built, so a document written ten times in a tick is
 * stored once, in its latest state. Only one batch is in flight at a time, which keeps batches in
 * order. Each write's promise resolves when the batch containing it is durable.
 */
export class CommitQueue {
  private pending: Pending | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  /**
   * @param serialize returns the current persisted form of a document, or undefined if the
   *   document no longer exists in memory (it was evicted after being queued).
   */
  constructor(
    private readonly storage: StorageAdapter,
    private readonly serialize: (collection: string, id: string) => unknown,
    private readonly onCommitted: (batch: CommitBatch) => void,
  ) {}

  /** The error that broke storage, if any; the database refuses writes after one. */
  get failed(): unknown {
    return this.failure;
  }

  putDoc(collection: string, id: string): void {
    const p = this.open();
    const key = `${collection}\u0000${id}`;
    p.deleteDocs.delete(key);
    p.docs.set(key, { collection, id });
  }

  deleteDoc(collection: string, id: string): void {
    const p = this.open();
    const key = `${collection}\u0000${id}`;
    p.docs.delete(key);
    p.deleteDocs.set(key, { collection, id });
  }

  addChange(change: StoredChange): void {
    this.open().outboxAdd.push(change);
  }

  /** Drops a queued change that was never committed (transaction rollback). */
  dropChange(id: string): void {
    const p = this.pending;
    if (p) p.outboxAdd = p.outboxAdd.filter((c) => c.id !== id);
  }

  removeChanges(ids: readonly string[]): void {
    this.open().outboxRemove.push(...ids);
  }

  rejectChange(id: string, reason: string): void {
    this.open().outboxReject.push({ id, reason });
  }

  setMeta(key: string, value: string): void {
    this.open().meta.set(key, value);
  }

  /** A promise for the durability of everything queued so far. */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const p = this.open();
    return new Promise((resolve, reject) => p.waiters.push({ resolve, reject }));
  }

  /** Resolves once nothing is pending or in flight. */
  async drain(): Promise<void> {
    while (this.pending || this.inFlight) {
      if (this.inFlight) await this.inFlight.catch(() => undefined);
      else await this.durable().catch(() => undefined);
    }
  }

  private open(): Pending {
    if (this.pending) return this.pending;
    this.pending = { docs: new Map(), deleteDocs: new Map(), outboxAdd: [], outboxRemove: [], outboxReject: [], meta: new Map(), waiters: [] };
    if (!this.inFlight) queueMicrotask(() => this.flush());
    return this.pending;
  }

  private flush(): void {
    const p = this.pending;
    if (!p || this.inFlight) return;
    this.pending = undefined;
    const batch = this.build(p);
    this.inFlight = this.storage
      .commit(batch)
      .then(
        () => {
          for (const w of p.waiters) w.resolve();
          this.onCommitted(batch);
        },
        (e: unknown) => {
          // Memory already holds these writes; storage does not. Refuse further writes rather
          // than let memory and disk drift apart silently.
          this.failure = e;
          for (const w of p.waiters) w.reject(e);
          for (const w of this.pending?.waiters ?? []) w.reject(e);
          this.pending = undefined;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending) this.flush();
      });
  }

  private build(p: Pending): CommitBatch {
    const batch: CommitBatch = {};
    if (p.docs.size) {
      batch.docs = [];
      for (const { collection, id } of p.docs.values()) {
        const state = this.serialize(collection, id);
        if (state !== undefined) batch.docs.push({ collection, id, state });
      }
    }
    if (p.deleteDocs.size) batch.deleteDocs = [...p.deleteDocs.values()];
    if (p.outboxAdd.length) batch.outboxAdd = p.outboxAdd;
    if (p.outboxRemove.length) batch.outboxRemove = p.outboxRemove;
    if (p.outboxReject.length) batch.outboxReject = p.outboxReject;
    if (p.meta.size) batch.meta = [...p.meta];
    return batch;
  }
}
