import type Database from 'better-sqlite3';
import { newHashBase } from './docKeyHash.js';
import { newEpoch } from '../epoch.js';
import { TENANT_TABLES, migrateToLayout3 } from './sqliteTenantSequences.js';
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
 * see docKeyHash.ts) instead of a (tenant, id) primary key. 3: a sequence per tenant (`tenants`,
 * `tenant_marks`); a layout-2 store is migrated in place when opened
 * (sqliteTenantSequences.ts). Pre-1.0,
 * a layout-1 data directory is not migrated: the engine refuses to open it and says so.
 */
export const LAYOUT = 3;

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
`;

// Added to layout 2 in place (issue 11): a store without them gets them when it is opened.
// (Change ids are compacted by ranges of their key — ids are stamps — so they need no index of
// their own; changes_seq existed briefly and is dropped.)
const ADDITIONS = `
DROP INDEX IF EXISTS changes_seq;
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replicas (
  tenant TEXT NOT NULL, replica TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (tenant, replica)) WITHOUT ROWID;
`;

/**
 * Creates the tables of a new database, or checks the layout of an existing one and brings a
 * layout-2 store up to date in place; returns the database's secret hash base and its epoch
 * (created here for a store that has none yet).
 */
export function openLayout(db: Database.Database): { hashBase: number; epoch: string } {
  return db
    .transaction((): { hashBase: number; epoch: string } => {
      const hasDocs =
        db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'docs'").get() !== undefined;
      const layout = hasDocs
        ? (db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'layout'").get()?.value ?? 1)
        : LAYOUT;
      if (layout > LAYOUT)
        throw new Error(
          `this SQLite database was written by a newer fieldsync server (table layout ${layout}, this server knows up to ${LAYOUT}); upgrade this server`,
        );
      if (layout < 2) {
        throw new Error(
          `this SQLite database was written by an older fieldsync server (table layout ${layout}, this server needs ${LAYOUT}); ` +
            'pre-1.0 data directories of layout 1 are not migrated: start with an empty --data directory and let clients push again',
        );
      }
      db.exec(SCHEMA);
      const cols = db.prepare<[], { name: string }>('PRAGMA table_info(changes)').all();
      if (!cols.some((c) => c.name === 'hash')) db.exec('ALTER TABLE changes ADD COLUMN hash TEXT');
      db.exec(ADDITIONS);
      if (layout === 2) migrateToLayout3(db);
      else db.exec(TENANT_TABLES);
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
