import type { DBSchema, IDBPDatabase } from 'idb';
import { openDB } from 'idb';
import type { CommitBatch, LoadedState, StorageAdapter, StoredChange } from '../StorageAdapter.js';

interface Schema extends DBSchema {
  docs: { key: [string, string]; value: { c: string; id: string; state: unknown } };
  outbox: { key: string; value: StoredChange };
  meta: { key: string; value: string };
}

/**
 * IndexedDB storage for browsers. Every commit is one `readwrite` transaction over the three
 * stores with `durability: 'strict'` (the browser flushes before `complete`), so a resolved write
 * survives a tab crash. Several tabs may open the same database: `sharedName` makes the database
 * broadcast its commits so the other tabs merge them (see `tab/TabChannel`).
 */
export class IndexedDbStorage implements StorageAdapter {
  readonly sharedName: string;
  private db: IDBPDatabase<Schema> | undefined;

  /** @param name the IndexedDB database name; make it per user so accounts never share data. */
  constructor(readonly name: string) {
    this.sharedName = name;
  }

  async open(): Promise<LoadedState> {
    this.db = await openDB<Schema>(this.name, 1, {
      upgrade(db) {
        db.createObjectStore('docs', { keyPath: ['c', 'id'] });
        db.createObjectStore('outbox', { keyPath: 'id' });
        db.createObjectStore('meta');
      },
    });
    const tx = this.db.transaction(['docs', 'outbox', 'meta'], 'readonly');
    const [docs, outbox, metaKeys, metaValues] = await Promise.all([
      tx.objectStore('docs').getAll(),
      tx.objectStore('outbox').getAll(),
      tx.objectStore('meta').getAllKeys(),
      tx.objectStore('meta').getAll(),
    ]);
    await tx.done;
    return {
      docs: docs.map((d) => ({ collection: d.c, id: d.id, state: d.state })),
      outbox,
      meta: new Map(metaKeys.map((k, i) => [k, metaValues[i] as string])),
    };
  }

  async commit(batch: CommitBatch): Promise<void> {
    const db = this.db;
    if (!db) throw new Error('IndexedDbStorage is not open');
    const tx = db.transaction(['docs', 'outbox', 'meta'], 'readwrite', { durability: 'strict' });
    const docs = tx.objectStore('docs');
    const outbox = tx.objectStore('outbox');
    const meta = tx.objectStore('meta');
    const ops: Array<Promise<unknown>> = [];
    for (const d of batch.docs ?? []) ops.push(docs.put({ c: d.collection, id: d.id, state: d.state }));
    for (const d of batch.deleteDocs ?? []) ops.push(docs.delete([d.collection, d.id]));
    for (const c of batch.outboxAdd ?? []) ops.push(outbox.put(c));
    for (const id of batch.outboxRemove ?? []) ops.push(outbox.delete(id));
    for (const r of batch.outboxReject ?? []) {
      ops.push(
        outbox.get(r.id).then((c) => {
          if (c) return outbox.put({ ...c, rejected: r.reason });
          return undefined;
        }),
      );
    }
    for (const [k, v] of batch.meta ?? []) ops.push(meta.put(v, k));
    await Promise.all([...ops, tx.done]);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
