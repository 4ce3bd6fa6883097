import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { openDB } from 'idb';
import { decodeBatch, encodeBatch } from '../batchCodec.js';
import type { CommitBatch, LoadedState, StorageAdapter } from '../StorageAdapter.js';
import { BatchReplay } from './BatchReplay.js';
import { LogRedundancy } from './LogRedundancy.js';

export interface IndexedDbStorageOptions {
  /**
   * Fold the log into a snapshot once it holds more than this many superseded entries (and more
   * superseded than live ones). Default 10,000: a snapshot of 100,000 documents costs ~0.2 s, so
   * it is rewritten at most once per 100,000 superseded entries.
   */
  compactAfter?: number;
}

/**
 * IndexedDB storage for browsers, as a log of commits: each commit batch is ONE record (the batch
 * encoded by `batchCodec` as one string) put in one `readwrite` transaction with
 * `durability: 'strict'` (the browser flushes before `complete`), so a resolved write survives a
 * killed tab, and a batch is all there or not at all. Opening reads every record and replays
 * them in order; when the records hold more superseded entries than live ones, they are folded
 * into one snapshot record in one transaction (a killed tab leaves the old log intact).
 *
 * Why not a record per document (layout 1, before issue 15): Chromium pays per request and per
 * cloned object, so 100,000 documents cost 200,000 puts of ~10 objects each — 12 s to store and
 * 4 s to open, against one put of a 10 MB string here. Layout-1 databases are migrated to a
 * snapshot record when first opened.
 *
 * Several tabs may open the same database: `sharedName` makes the database broadcast its commits
 * so the other tabs merge them (see `tab/TabChannel`). Their records interleave in the log in
 * commit order, which replays as the last put of each document winning, as before.
 */
export class IndexedDbStorage implements StorageAdapter {
  readonly sharedName: string;
  /** Plain documents come by column and are encoded as such (`batchCodec`). */
  readonly acceptsRows = true;
  private db: IDBPDatabase | undefined;
  private readonly redundancy = new LogRedundancy();
  /** A compaction in progress; the next commit waits for it (one transaction at a time). */
  private compacting: Promise<void> | undefined;

  private readonly compactAfter: number;

  /** @param name the IndexedDB database name; make it per user so accounts never share data. */
  constructor(
    readonly name: string,
    options: IndexedDbStorageOptions = {},
  ) {
    this.sharedName = name;
    this.compactAfter = options.compactAfter ?? 10_000;
  }

  async open(): Promise<LoadedState> {
    this.db = await openDB(this.name, 2, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        db.createObjectStore('log', { autoIncrement: true });
        if (oldVersion === 1) await migrateLayout1(db, tx);
      },
    });
    const replay = new BatchReplay();
    const records = (await this.db.getAll('log')) as string[];
    for (const r of records) replay.apply(decodeBatch(r));
    this.redundancy.reset(replay);
    return replay.loaded();
  }

  async commit(batch: CommitBatch): Promise<void> {
    const db = this.db;
    if (!db) throw new Error('IndexedDbStorage is not open');
    if (this.compacting) await this.compacting;
    const record = encodeBatch(batch);
    const tx = db.transaction('log', 'readwrite', { durability: 'strict' });
    await Promise.all([tx.store.add(record), tx.done]);
    this.redundancy.count(batch);
    if (this.redundancy.dead > this.compactAfter && this.redundancy.dead > this.redundancy.live)
      this.compacting = this.compact().finally(() => (this.compacting = undefined));
  }

  /**
   * Folds every record into one snapshot, in one transaction: read, replay, write the snapshot,
   * delete what it replaces. Runs after a commit resolved; a failure leaves the log as it was.
   */
  private async compact(): Promise<void> {
    const db = this.db;
    if (!db) return;
    const tx = db.transaction('log', 'readwrite', { durability: 'strict' });
    try {
      const [keys, records] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
      const last = keys[keys.length - 1];
      if (last === undefined) return;
      const replay = new BatchReplay();
      for (const r of records as string[]) replay.apply(decodeBatch(r));
      const snapshot = encodeBatch(replay.snapshot());
      await Promise.all([tx.store.delete(IDBKeyRange.upperBound(last)), tx.store.add(snapshot), tx.done]);
      this.redundancy.reset(replay);
    } catch {
      // Not needed for correctness: the log stays as it was, and the next threshold retries.
      tx.abort();
      await tx.done.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting;
    this.db?.close();
    this.db = undefined;
  }
}

/** Layout 1 (a record per document, per outbox change, per meta key) → one snapshot record. */
async function migrateLayout1(
  db: IDBPDatabase,
  tx: IDBPTransaction<unknown, string[], 'versionchange'>,
): Promise<void> {
  const [docs, outbox, metaKeys, metaValues] = await Promise.all([
    tx.objectStore('docs').getAll(),
    tx.objectStore('outbox').getAll(),
    tx.objectStore('meta').getAllKeys(),
    tx.objectStore('meta').getAll(),
  ]);
  const batch: CommitBatch = {
    docs: (docs as Array<{ c: string; id: string; state: unknown }>).map((d) => ({
      collection: d.c,
      id: d.id,
      state: d.state,
    })),
    outboxAdd: outbox as CommitBatch['outboxAdd'],
    meta: metaKeys.map((k, i) => [String(k), metaValues[i] as string]),
  };
  await tx.objectStore('log').add(encodeBatch(batch));
  for (const store of ['docs', 'outbox', 'meta']) db.deleteObjectStore(store);
}
