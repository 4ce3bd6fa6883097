import type { StoredDoc } from './StorageEngine.js';

/** A `docs` row as SQLite returns it. */
export interface DocRow {
  id: string;
  type: string;
  seq: number;
  deleted: number;
  state: string;
  view: string;
}

// docs is a rowid table on purpose: its rows (two JSON texts) are large, and a WITHOUT ROWID
// B-tree moves whole rows on every page split — measured 5x slower upserts here.
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  tenant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL, state TEXT NOT NULL, view TEXT NOT NULL,
  PRIMARY KEY (tenant, id));
CREATE INDEX IF NOT EXISTS docs_tenant_seq ON docs (tenant, seq);
CREATE TABLE IF NOT EXISTS changes (
  tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (tenant, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
`;

export const toDoc = (r: DocRow): StoredDoc => ({
  id: r.id,
  type: r.type,
  seq: r.seq,
  deleted: r.deleted === 1,
  state: r.state,
  view: r.view,
});
