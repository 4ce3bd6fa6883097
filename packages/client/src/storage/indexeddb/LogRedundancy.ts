import type { CommitBatch } from '../StorageAdapter.js';
import type { BatchReplay } from './BatchReplay.js';

/**
 * How many entries of a commit log are live (the latest of their document or outbox change) and
 * how many a later entry superseded, kept up to date commit by commit without holding any
 * state: only the ids (strings the database holds anyway). Decides when compaction pays.
 * Other tabs' commits are not seen; compaction recounts from the log itself.
 */
export class LogRedundancy {
  private docs = new Map<string, Set<string>>();
  private outbox = new Set<string>();
  dead = 0;

  get live(): number {
    let n = this.outbox.size;
    for (const s of this.docs.values()) n += s.size;
    return n;
  }

  reset(replay: BatchReplay): void {
    this.docs = replay.docIds();
    this.outbox = replay.outboxIds();
    this.dead = replay.dead;
  }

  count(batch: CommitBatch): void {
    let last: string | undefined;
    let ids: Set<string> | undefined;
    for (const d of batch.docs ?? []) {
      if (d.collection !== last || ids === undefined) {
        last = d.collection;
        ids = this.docs.get(last);
        if (ids === undefined) this.docs.set(last, (ids = new Set()));
      }
      const before = ids.size;
      ids.add(d.id);
      if (ids.size === before) this.dead++;
    }
    for (const r of batch.rows ?? []) {
      let held = this.docs.get(r.collection);
      if (held === undefined) this.docs.set(r.collection, (held = new Set()));
      for (const id of r.ids) {
        const before = held.size;
        held.add(id);
        if (held.size === before) this.dead++;
      }
    }
    for (const d of batch.deleteDocs ?? []) this.dead += this.docs.get(d.collection)?.delete(d.id) ? 2 : 1;
    for (const c of batch.outboxAdd ?? []) {
      const before = this.outbox.size;
      this.outbox.add(c.id);
      if (this.outbox.size === before) this.dead++;
    }
    for (const id of batch.outboxRemove ?? []) this.dead += this.outbox.delete(id) ? 2 : 1;
    this.dead += (batch.outboxReject?.length ?? 0) + (batch.meta?.length ?? 0);
  }
}
