import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { tenantLockKeys } from '../src/storage/postgres/pgTenantSequences.js';
import type { StorageEngine, StoredDoc } from '../src/storage/StorageEngine.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../../testing/pgTest.js';

const hasPg = await pgReachable();

const doc = (id: string): Omit<StoredDoc, 'seq'> => ({
  id,
  type: 'note',
  deleted: false,
  state: JSON.stringify({ id }),
  view: JSON.stringify({ id }),
});
const put = (e: StorageEngine, tenant: string, id: string, change: string) =>
  e.commit({ tenant, changeIds: [change], docIds: [id] }, () => ({
    docs: [doc(id)],
    changes: [{ id: change, doc: id }],
  }));

/**
 * Issue 13: on PostgreSQL a write holds only its tenant's lock. A write of tenant A that is stuck
 * inside its transaction (here: on a row another session has locked) must not hold up any other
 * tenant, and must hold up A's next write (A's sequence order is its commit order).
 */
describe.runIf(hasPg)('PostgreSQL: one write lock per tenant', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  it("a stuck write of one tenant holds up that tenant's next write, and no other tenant's", async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const e = new PostgresEngine({ url: PG_URL, schema, poolSize: 12 });
    cleanups.push(() => e.close());
    await e.init();
    await put(e, 'A', 'x', 'c0'); // A: 1
    const blocker = new pg.Client({ connectionString: PG_URL });
    await blocker.connect();
    cleanups.push(() => blocker.end());
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM ${schema}.docs WHERE tenant = 'A' AND id = 'x' FOR UPDATE`);
    // A's lock, as pg_locks shows a two-key advisory lock (the keys as unsigned oids).
    const [k1, k2] = tenantLockKeys(schema, 'A');
    const advisory = async (granted: boolean): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        const r = await blocker.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
           AND classid = $2::bigint::oid AND objid = $3::bigint::oid AND granted = $1`,
          [granted, k1 >>> 0, k2 >>> 0],
        );
        if (Number(r.rows[0]?.n) > 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no ${granted ? 'granted' : 'waiting'} advisory lock`);
    };
    let settled = 0;
    const stuck = put(e, 'A', 'x', 'c1').finally(() => settled++); // holds A's lock, waits for the row
    await advisory(true);
    const waiting = put(e, 'A', 'y', 'c2').finally(() => settled++); // waits for A's lock
    await advisory(false);
    // Eight other tenants write, several times each, while A is stuck.
    const others = ['B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'];
    const results = await Promise.all(
      others.flatMap((t) => [1, 2, 3].map((i) => put(e, t, `d${i}`, `${t}-${i}`))),
    );
    expect(results.every((r) => r.docs.length === 1)).toBe(true);
    for (const t of others) expect(await e.tenantHead(t)).toBe(3);
    expect(settled).toBe(0); // A's writes are still held
    expect(await e.tenantHead('A')).toBe(1);
    await blocker.query('ROLLBACK');
    const [first, second] = await Promise.all([stuck, waiting]);
    // A's two writes committed in the order they took A's lock: sequences in commit order.
    expect([first.cursor, second.cursor]).toEqual([2, 3]);
    expect((await e.pull('A', { since: 0, limit: 10 })).docs.map((d) => [d.id, d.seq])).toEqual([
      ['x', 2],
      ['y', 3],
    ]);
  }, 30_000);
});
