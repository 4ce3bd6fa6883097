import type pg from 'pg';
import { newEpoch } from '../epoch.js';
import { addDocBytes } from './pgDocBytes.js';
import { createTenantSequences } from './pgTenantSequences.js';

/**
 * Creates (or brings up to date) the tables of schema `s` and returns the store's epoch, in one
 * transaction under an advisory lock, so several processes starting at once serialize.
 */
export async function initSchema(c: pg.PoolClient, s: string): Promise<string> {
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`init:${s}`]);
    // CREATE INDEX and ALTER TABLE take their table locks even when IF NOT EXISTS then finds
    // nothing to do; held to the end of this transaction while another process serves the
    // schema, they deadlock with its pushes (a process restarting beside a busy one died with
    // "deadlock detected", and pushes failed). So they run only when the object is missing.
    const missing = async (name: string): Promise<boolean> => {
      const res = await c.query<{ r: string | null }>('SELECT to_regclass($1) AS r', [`${s}.${name}`]);
      return (res.rows[0]?.r ?? null) === null;
    };
    const noColumn = async (table: string, column: string): Promise<boolean> =>
      (
        await c.query(
          'SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
          [s, table, column],
        )
      ).rowCount === 0;
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.docs (
      tenant text NOT NULL, id text NOT NULL, type text NOT NULL, seq bigint NOT NULL,
      deleted boolean NOT NULL, state json NOT NULL, view json NOT NULL, PRIMARY KEY (tenant, id))`);
    // Documents and type definitions are stored as `json` (the text as written), not `jsonb`,
    // which re-sorts object keys: a type's field order is part of the type (docs/schema.md).
    // A schema made when the columns were jsonb is converted once, in place.
    const stateType = await c.query<{ t: string }>(
      "SELECT data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'docs' AND column_name = 'state'",
      [s],
    );
    if (stateType.rows[0]?.t === 'jsonb')
      await c.query(
        `ALTER TABLE ${s}.docs ALTER COLUMN state TYPE json USING state::json, ALTER COLUMN view TYPE json USING view::json`,
      );
    if (await missing('docs_tenant_seq'))
      await c.query(`CREATE INDEX IF NOT EXISTS docs_tenant_seq ON ${s}.docs (tenant, seq)`);
    // Issue 13: each row's size for the byte budget of pull pages (after the json conversion,
    // whose rewrite changes the text). Column, index and triggers come together, in this transaction.
    if (await noColumn('docs', 'bytes')) await addDocBytes(c, s);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.changes (
      tenant text NOT NULL, id text NOT NULL, doc text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (tenant, id))`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value bigint NOT NULL)`);
    // Issue 11 additions, applied in place to a schema created before them.
    if (await noColumn('changes', 'hash'))
      await c.query(`ALTER TABLE ${s}.changes ADD COLUMN IF NOT EXISTS hash text`);
    // changes_seq existed briefly (change ids are now compacted by key ranges): dropped if present.
    if (!(await missing('changes_seq'))) await c.query(`DROP INDEX IF EXISTS ${s}.changes_seq`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.info (key text PRIMARY KEY, value text NOT NULL)`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.replicas (
      tenant text NOT NULL, replica text NOT NULL, owner text NOT NULL, PRIMARY KEY (tenant, replica))`);
    if (await missing('tenants')) await createTenantSequences(c, s);
    await c.query(`INSERT INTO ${s}.info (key, value) VALUES ('epoch', $1) ON CONFLICT DO NOTHING`, [
      newEpoch(),
    ]);
    const epoch = await c.query<{ value: string }>(`SELECT value FROM ${s}.info WHERE key = 'epoch'`);
    await c.query('COMMIT');
    return epoch.rows[0]?.value ?? '';
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
