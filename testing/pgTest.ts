import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** The PostgreSQL the tests use (trust auth), overridable for other machines. */
export const PG_URL = process.env['FIELDSYNC_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name unique to this test file run, so parallel test files never collide. */
export const uniqueSchema = (): string => `fs_test_${process.pid}_${randomBytes(4).toString('hex')}`;

/**
 * Whether PostgreSQL is reachable. When it is not, PG tests are reported as skipped — unless
 * CI or FIELDSYNC_REQUIRE_PG is set, where an unreachable database is a failure, not a skip.
 */
export async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (e) {
    if (process.env['CI'] || process.env['FIELDSYNC_REQUIRE_PG'])
      throw new Error(`PostgreSQL required but unreachable at ${PG_URL}: ${String(e)}`);
    console.warn(`[fieldsync tests] PostgreSQL unreachable at ${PG_URL}; PG tests skipped`);
    return false;
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}
