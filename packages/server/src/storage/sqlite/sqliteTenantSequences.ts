import type Database from 'better-sqlite3';

/**
 * Layout 3: each tenant's sequence (`seq`, its head), compacted cursor and swept cursor, and time
 * marks per tenant. docs_deleted holds deleted documents only (per tenant, by sequence), so live
 * documents pay nothing for it.
 */
export const TENANT_TABLES = `
CREATE TABLE IF NOT EXISTS tenants (
  tenant TEXT PRIMARY KEY, seq INTEGER NOT NULL, compacted INTEGER NOT NULL DEFAULT 0,
  swept INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenant_marks (
  tenant TEXT NOT NULL, at INTEGER NOT NULL, head INTEGER NOT NULL, PRIMARY KEY (tenant, at)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_deleted ON docs (tenant, seq) WHERE deleted = 1;
`;

/** What a layout-2 server that still writes a migrated store hits on its first write. */
export const OLD_SERVER_REFUSED =
  'fieldsync: this store has a sequence per tenant now (SQLite layout 3); stop every older fieldsync server writing it and start the new version';

/**
 * Migrates a layout-2 store (one sequence for all tenants) to layout 3 in place, inside the
 * caller's transaction. Every document keeps its sequence, and every tenant's own sequence
 * starts at the old global head, with the old global `compacted`/`swept` cursors and time marks:
 * every cursor a device holds was handed out by the old global sequence, so it is at most that
 * head — its next pull sees every later write of its tenant (numbered above it), and nobody has
 * to resync. (A tenant's head after the migration thus starts at the global head of that moment:
 * a one-time figure, which then moves only with the tenant's own writes.)
 *
 * The old `meta` rows stay, guarded by a trigger: a layout-2 server still running on this file
 * (the engine refuses layout 3 when it opens a file, but one started before the migration keeps
 * its connection) fails on its next write with OLD_SERVER_REFUSED instead of handing out numbers
 * of the old sequence.
 */
export function migrateToLayout3(db: Database.Database): void {
  const meta = (key: string): number =>
    db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?').get(key)?.value ?? 0;
  const head = meta('seq');
  db.exec('DROP INDEX IF EXISTS docs_deleted');
  db.exec(TENANT_TABLES);
  db.prepare(
    `INSERT INTO tenants (tenant, seq, compacted, swept)
     SELECT tenant, ?, ?, ? FROM (SELECT DISTINCT tenant FROM docs UNION SELECT DISTINCT tenant FROM changes)`,
  ).run(head, meta('compacted'), meta('swept'));
  const hasMarks =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'marks'").get() !== undefined;
  if (hasMarks) {
    db.exec(
      'INSERT INTO tenant_marks (tenant, at, head) SELECT t.tenant, m.at, m.head FROM tenants AS t, marks AS m; DROP TABLE marks',
    );
  }
  db.exec("DELETE FROM meta WHERE key IN ('compacted', 'swept')");
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?), ('layout', 3)").run(head);
  db.exec(
    `CREATE TRIGGER IF NOT EXISTS meta_seq_is_per_tenant BEFORE UPDATE ON meta WHEN old.key = 'seq'
     BEGIN SELECT RAISE(ABORT, '${OLD_SERVER_REFUSED}'); END`,
  );
}
