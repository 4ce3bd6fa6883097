import type {
  CommitBatch,
  LiveState,
  LoadedState,
  StorageAdapter,
  StoredChange,
  StoredDoc,
} from '../StorageAdapter.js';

/**
 * Keeps everything in this process. Useful for tests, ephemeral caches and benchmarks; passing
 * the same instance to a new `createDatabase` (after closing the old one) reopens it, which is
 * how restore is tested without a disk. Not durable across processes, by definition.
 *
 * It keeps the database's document states by reference (`keepsLiveState`): a copy would double
 * the memory of a 100k-document database for no benefit, since both live in the same heap. Once
 * the database has `attach`ed, it holds the database itself and reads its documents and outbox
 * when reopened; its own maps are only used before that (or by subclasses that do not attach).
 */
export class MemoryStorage implements StorageAdapter {
  readonly keepsLiveState: boolean = true;
  // States and changes are held bare (no `StoredDoc`/`StoredChange` wrapper per entry: two
  // objects fewer per document, 8 MB at 100k); `open()` rebuilds the wrappers.
  private readonly docs = new Map<string, Map<string, unknown>>();
  private readonly outbox = new Map<string, unknown>();
  /** Reasons of the outbox changes the server refused for good. */
  private readonly rejected = new Map<string, string>();
  private readonly meta = new Map<string, string>();
  private closed = false;
  private live: LiveState | undefined;

  attach(live: LiveState): void {
    this.live = live;
    this.docs.clear();
    this.outbox.clear();
    this.rejected.clear();
  }

  async open(): Promise<LoadedState> {
    this.closed = false;
    if (this.live) this.detach(this.live);
    const docs: StoredDoc[] = [];
    for (const [collection, m] of this.docs)
      for (const [id, state] of m) docs.push({ collection, id, state });
    const ids = [...this.outbox.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      docs,
      outbox: ids.map((id): StoredChange => {
        const rejected = this.rejected.get(id);
        return rejected === undefined
          ? { id, change: this.outbox.get(id) }
          : { id, change: this.outbox.get(id), rejected };
      }),
      meta: new Map(this.meta),
    };
  }

  /** Takes the attached database's documents and outbox back into this adapter's own maps. */
  private detach(live: LiveState): void {
    this.live = undefined;
    for (const d of live.docs()) {
      let m = this.docs.get(d.collection);
      if (!m) this.docs.set(d.collection, (m = new Map()));
      m.set(d.id, d.state);
    }
    for (const c of live.outbox()) {
      this.outbox.set(c.id, c.change);
      if (c.rejected !== undefined) this.rejected.set(c.id, c.rejected);
    }
  }

  async commit(batch: CommitBatch): Promise<void> {
    this.commitSync(batch);
  }

  /** The same commit without a promise (the database uses it to skip a microtask per write). */
  commitSync(batch: CommitBatch): void {
    if (this.closed) throw new Error('MemoryStorage is closed');
    if (batch.meta) for (const [k, v] of batch.meta) this.meta.set(k, v);
    if (this.live) return; // documents and outbox are read from the attached database
    if (batch.docs) {
      let last: string | undefined;
      let m: Map<string, unknown> | undefined;
      for (const d of batch.docs) {
        if (d.collection !== last || !m) {
          last = d.collection;
          m = this.docs.get(last);
          if (!m) this.docs.set(last, (m = new Map()));
        }
        m.set(d.id, d.state);
      }
    }
    if (batch.deleteDocs) for (const d of batch.deleteDocs) this.docs.get(d.collection)?.delete(d.id);
    if (batch.outboxAdd) {
      for (const c of batch.outboxAdd) {
        this.outbox.set(c.id, c.change);
        if (c.rejected !== undefined) this.rejected.set(c.id, c.rejected);
        else if (this.rejected.size > 0) this.rejected.delete(c.id);
      }
    }
    if (batch.outboxRemove) {
      for (const id of batch.outboxRemove) {
        this.outbox.delete(id);
        this.rejected.delete(id);
      }
    }
    if (batch.outboxReject) {
      for (const { id, reason } of batch.outboxReject) if (this.outbox.has(id)) this.rejected.set(id, reason);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
