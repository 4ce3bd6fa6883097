import type Database from 'better-sqlite3';
import { newHashBase } from './docKeyHash.js';
import { newEpoch } from '../epoch.js';
import type { StoredDoc } from '../StorageEngine.js';

/** A `docs` row as SQLite returns it. */
export interface DocRow {
  id: string;
  type: string;
  seq: number;
  deleted: number;
  state: string;
  view: string;
}

/**
 * Version of the table layout. 2: documents are found through `docs_h` (a hashed lookup key,
 * see docKeyHash.ts) instead of a (tenant, id) primary key. Pre-1.0, older data directories are
 * not migrated: the engine refuses to open them and says so.
 */
export const LAYOUT = 2;

// docs is a rowid table on purpose: its rows (two JSON texts) are large, and a WITHOUT ROWID
// B-tree moves whole rows on every page split — measured 5x slower upserts here. (tenant, id) is
// unique, enforced by the single writer (sqliteWriter.ts), not by an index.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  tenant TEXT NOT NULL, id TEXT NOT NULL, h INTEGER NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL, state TEXT NOT NULL, view TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_h ON docs (h);
CREATE INDEX IF NOT EXISTS docs_tenant_seq ON docs (tenant, seq);
CREATE TABLE IF NOT EXISTS changes (
  tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT,
  PRIMARY KEY (tenant, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
`;

// Added to layout 2 in place (issue 11): a store without them gets them when it is opened.
// docs_deleted holds deleted documents only, so live documents pay nothing for it. (Change ids
// are compacted by ranges of their key — ids are stamps — so they need no index of their own;
// changes_seq existed briefly and is dropped.)
const ADDITIONS = `
DROP INDEX IF EXISTS changes_seq;
CREATE INDEX IF NOT EXISTS docs_deleted ON docs (seq) WHERE deleted = 1;
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replicas (
  tenant TEXT NOT NULL, replica TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (tenant, replica)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (at INTEGER PRIMARY KEY, head INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('compacted', 0);
INSERT OR IGNORE INTO meta (key, value) VALUES ('swept', 0);
`;

/**
 * Creates the tables of a new database or checks the layout of an existing one; returns the
 * database's secret hash base and its epoch (created here for a store that has none yet).
 */
export function openLayout(db: Database.Database): { hashBase: number; epoch: string } {
  return db
    .transaction((): { hashBase: number; epoch: string } => {
      const hasDocs =
        db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'docs'").get() !== undefined;
      const layout = () =>
        db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'layout'").get()?.value;
      if (hasDocs && layout() !== LAYOUT) {
        throw new Error(
          `this SQLite database was written by an older fieldsync server (table layout ${layout() ?? 1}, this server needs ${LAYOUT}); ` +
            'pre-1.0 data directories are not migrated: start with an empty --data directory and let clients push again',
        );
      }
      db.exec(SCHEMA);
      const cols = db.prepare<[], { name: string }>('PRAGMA table_info(changes)').all();
      if (!cols.some((c) => c.name === 'hash')) db.exec('ALTER TABLE changes ADD COLUMN hash TEXT');
      db.exec(ADDITIONS);
      const put = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
      put.run('layout', LAYOUT);
      put.run('hash_base', newHashBase());
      db.prepare("INSERT OR IGNORE INTO info (key, value) VALUES ('epoch', ?)").run(newEpoch());
      return {
        hashBase:
          db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'hash_base'").get()?.value ??
          0,
        epoch: readEpoch(db),
      };
    })
    .immediate();
}

/** The store's epoch (see epoch.ts). */
export const readEpoch = (db: Database.Database): string =>
  db.prepare<[], { value: string }>("SELECT value FROM info WHERE key = 'epoch'").get()?.value ?? '';

/** Gives the store a new epoch (a backup copy, a restore); returns it. */
export function writeEpoch(db: Database.Database): string {
  const epoch = newEpoch();
  db.prepare(
    "INSERT INTO info (key, value) VALUES ('epoch', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  ).run(epoch);
  return epoch;
}

export const toDoc = (r: DocRow): StoredDoc => ({
  id: r.id,
  type: r.type,
  seq: r.seq,
  deleted: r.deleted === 1,
  state: r.state,
  view: r.view,
});
