import type { CommitBatch, LoadedState, StoredChange, StoredDoc } from '../StorageAdapter.js';
import { batchDocs } from '../storedRows.js';

/**
 * The state a sequence of commit batches leaves behind, built by applying them in commit order
 * with the semantics of one `readwrite` transaction per batch over per-document records: a put
 * replaces, a delete forgets, the last meta value wins. `IndexedDbStorage` replays its log with
 * it at open, and folds the log into one snapshot batch when compacting.
 */
export class BatchReplay {
  private readonly docs = new Map<string, Map<string, unknown>>();
  private readonly outbox = new Map<string, StoredChange>();
  private readonly meta = new Map<string, string>();
  /** Entries applied that a later entry made redundant (what compaction would save). */
  dead = 0;

  apply(batch: CommitBatch): void {
    let last: string | undefined;
    let m: Map<string, unknown> | undefined;
    for (const d of batchDocs(batch)) {
      if (d.collection !== last || m === undefined) {
        last = d.collection;
        m = this.docs.get(last);
        if (m === undefined) this.docs.set(last, (m = new Map()));
      }
      const before = m.size;
      m.set(d.id, d.state);
      if (m.size === before) this.dead++;
    }
    for (const d of batch.deleteDocs ?? []) this.dead += this.docs.get(d.collection)?.delete(d.id) ? 2 : 1;
    for (const c of batch.outboxAdd ?? []) {
      if (this.outbox.has(c.id)) this.dead++;
      this.outbox.set(c.id, c);
    }
    for (const id of batch.outboxRemove ?? []) this.dead += this.outbox.delete(id) ? 2 : 1;
    for (const r of batch.outboxReject ?? []) {
      const c = this.outbox.get(r.id);
      if (c) this.outbox.set(r.id, { id: c.id, change: c.change, rejected: r.reason });
      this.dead++;
    }
    for (const [k, v] of batch.meta ?? []) {
      if (this.meta.has(k)) this.dead++;
      this.meta.set(k, v);
    }
  }

  /** Documents and outbox entries held (each one entry of a snapshot). */
  get live(): number {
    let n = this.outbox.size;
    for (const m of this.docs.values()) n += m.size;
    return n;
  }

  /** Ids of the documents held, by collection (for the adapter's redundancy count). */
  docIds(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const [c, m] of this.docs) out.set(c, new Set(m.keys()));
    return out;
  }

  outboxIds(): Set<string> {
    return new Set(this.outbox.keys());
  }

  loaded(): LoadedState {
    const docs: StoredDoc[] = [];
    for (const [collection, m] of this.docs)
      for (const [id, state] of m) docs.push({ collection, id, state });
    return { docs, outbox: this.sortedOutbox(), meta: new Map(this.meta) };
  }

  /** Everything held, as one batch that recreates it when applied to nothing. */
  snapshot(): CommitBatch {
    const { docs, outbox } = this.loaded();
    const batch: CommitBatch = {};
    if (docs.length) batch.docs = docs;
    if (outbox.length) batch.outboxAdd = outbox;
    if (this.meta.size) batch.meta = [...this.meta];
    return batch;
  }

  /** Ordered by change id, as `LoadedState` requires (usually already in order: no sort then). */
  private sortedOutbox(): StoredChange[] {
    const out = [...this.outbox.values()];
    for (let i = 1; i < out.length; i++) {
      if ((out[i - 1] as StoredChange).id > (out[i] as StoredChange).id)
        return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    return out;
  }
}
