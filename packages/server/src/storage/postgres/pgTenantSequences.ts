import { createHash } from 'node:crypto';
import type pg from 'pg';

/** What a server of the global-sequence layout still writing a migrated schema hits on its next write. */
export const PG_OLD_SERVER_REFUSED =
  'fieldsync: this schema has a sequence per tenant now; stop every older fieldsync server writing it and start the new version';

/**
 * The two 32-bit keys of a tenant's write lock (`pg_advisory_xact_lock(int, int)`): the first 8
 * bytes of SHA-256 of schema and tenant. Why a hash and not a lock row: an advisory lock costs
 * nothing on disk, and two tenants sharing a key (a 2^-64 chance) only take turns. The two-key
 * form is a lock space of its own, apart from the single-key `init:` lock.
 */
export function tenantLockKeys(schema: string, tenant: string): [number, number] {
  const h = createHash('sha256').update(`seq\u0000${schema}\u0000${tenant}`).digest();
  return [h.readInt32BE(0), h.readInt32BE(4)];
}

/**
 * Creates the per-tenant sequence tables in schema `s` (inside init's transaction, under its
 * lock): `tenants` (each tenant's sequence = its head, and its `compacted` and `swept` cursors)
 * and `tenant_marks` (time marks per tenant), and the index of deleted documents per tenant.
 *
 * A schema written with one global sequence (`meta.seq`) is migrated in place: every document
 * keeps its sequence and every tenant's sequence starts at the old global head, with the old
 * `compacted`/`swept` cursors and time marks — every cursor a device holds came from the old
 * sequence, so it is at most that head, and no device has to resync. The old global write lock is
 * taken first, so no writer of the old layout is in the middle of a commit. `meta.seq` stays,
 * guarded by a trigger: a server of the old layout still running fails on its next write with
 * PG_OLD_SERVER_REFUSED instead of handing out numbers of the old sequence (every server
 * process of a schema must be upgraded together).
 */
export async function createTenantSequences(c: pg.PoolClient, s: string): Promise<void> {
  await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`seq:${s}`]);
  const meta = async (key: string): Promise<number> =>
    Number((await c.query(`SELECT value FROM ${s}.meta WHERE key = $1`, [key])).rows[0]?.value ?? 0);
  const head = await meta('seq');
  await c.query(`CREATE TABLE ${s}.tenants (tenant text PRIMARY KEY, seq bigint NOT NULL,
    compacted bigint NOT NULL DEFAULT 0, swept bigint NOT NULL DEFAULT 0)`);
  await c.query(`CREATE TABLE IF NOT EXISTS ${s}.tenant_marks (tenant text NOT NULL, at bigint NOT NULL,
    head bigint NOT NULL, PRIMARY KEY (tenant, at))`);
  await c.query(
    `INSERT INTO ${s}.tenants (tenant, seq, compacted, swept)
     SELECT tenant, $1, $2, $3 FROM (SELECT tenant FROM ${s}.docs UNION SELECT tenant FROM ${s}.changes) AS t`,
    [head, await meta('compacted'), await meta('swept')],
  );
  const marks = await c.query<{ r: string | null }>('SELECT to_regclass($1) AS r', [`${s}.marks`]);
  if ((marks.rows[0]?.r ?? null) !== null) {
    await c.query(`INSERT INTO ${s}.tenant_marks (tenant, at, head)
      SELECT t.tenant, m.at, m.head FROM ${s}.tenants AS t, ${s}.marks AS m`);
    await c.query(`DROP TABLE ${s}.marks`);
  }
  await c.query(`DELETE FROM ${s}.meta WHERE key IN ('compacted', 'swept')`);
  await c.query(`DROP INDEX IF EXISTS ${s}.docs_deleted`);
  await c.query(`CREATE INDEX docs_deleted ON ${s}.docs (tenant, seq) WHERE deleted`);
  await c.query(`INSERT INTO ${s}.meta (key, value) VALUES ('seq', $1) ON CONFLICT DO NOTHING`, [head]);
  await c.query(`CREATE OR REPLACE FUNCTION ${s}.meta_seq_is_per_tenant() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION '${PG_OLD_SERVER_REFUSED}'; END $$`);
  await c.query(`CREATE TRIGGER meta_seq_is_per_tenant BEFORE UPDATE ON ${s}.meta FOR EACH ROW
    WHEN (OLD.key = 'seq') EXECUTE FUNCTION ${s}.meta_seq_is_per_tenant()`);
}
