import Database from 'better-sqlite3';
import type { CommitBatch, LoadedState, StorageAdapter, StoredChange } from '../StorageAdapter.js';

export interface SqliteStorageOptions {
  /** File path, or ':memory:'. */
  filename: string;
}

/**
 * SQLite file storage for Node (better-sqlite3). WAL with `synchronous = FULL`: a commit is on
 * disk when `commit()` resolves, so killing the process (or the machine) loses no resolved write.
 * States and changes are stored as JSON text; the database loads everything at open.
 */
export class SqliteStorage implements StorageAdapter {
  private db: Database.Database | undefined;
  private readonly filename: string;

  constructor(options: SqliteStorageOptions | string) {
    this.filename = typeof options === 'string' ? options : options.filename;
  }

  async open(): Promise<LoadedState> {
    const db = new Database(this.filename);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS docs (c TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (c, id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, change TEXT NOT NULL, rejected TEXT) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.db = db;
    const docs = (
      db.prepare('SELECT c, id, state FROM docs').all() as Array<{ c: string; id: string; state: string }>
    ).map((r) => ({
      collection: r.c,
      id: r.id,
      state: JSON.parse(r.state) as unknown,
    }));
    const outbox = (
      db.prepare('SELECT id, change, rejected FROM outbox ORDER BY id').all() as Array<{
        id: string;
        change: string;
        rejected: string | null;
      }>
    ).map((r): StoredChange =>
      r.rejected === null
        ? { id: r.id, change: JSON.parse(r.change) }
        : { id: r.id, change: JSON.parse(r.change), rejected: r.rejected },
    );
    const meta = new Map(
      (db.prepare('SELECT k, v FROM meta').all() as Array<{ k: string; v: string }>).map((r) => [r.k, r.v]),
    );
    return { docs, outbox, meta };
  }

  async commit(batch: CommitBatch): Promise<void> {
    const db = this.db;
    if (!db) throw new Error('SqliteStorage is not open');
    const putDoc = db.prepare('INSERT OR REPLACE INTO docs (c, id, state) VALUES (?, ?, ?)');
    const delDoc = db.prepare('DELETE FROM docs WHERE c = ? AND id = ?');
    const addChange = db.prepare('INSERT OR REPLACE INTO outbox (id, change, rejected) VALUES (?, ?, ?)');
    const delChange = db.prepare('DELETE FROM outbox WHERE id = ?');
    const reject = db.prepare('UPDATE outbox SET rejected = ? WHERE id = ?');
    const putMeta = db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)');
    db.transaction(() => {
      for (const d of batch.docs ?? []) putDoc.run(d.collection, d.id, JSON.stringify(d.state));
      for (const d of batch.deleteDocs ?? []) delDoc.run(d.collection, d.id);
      for (const c of batch.outboxAdd ?? [])
        addChange.run(c.id, JSON.stringify(c.change), c.rejected ?? null);
      for (const id of batch.outboxRemove ?? []) delChange.run(id);
      for (const r of batch.outboxReject ?? []) reject.run(r.reason, r.id);
      for (const [k, v] of batch.meta ?? []) putMeta.run(k, v);
    })();
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
