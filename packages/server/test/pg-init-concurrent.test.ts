import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { CorePeer, testServer, type TestServer } from '../../../testing/server/harness.js';
import { PG_URL, pgReachable } from '../../../testing/pgTest.js';

const hasPg = await pgReachable();

/**
 * Found by the chaos suite (seed 42, `npm run chaos -- 42 --short --engine postgres`): a second
 * server process (re)starting on a schema another process is serving died at startup with
 * "deadlock detected", and a push of the serving process failed with a 500, because `init()` ran
 * its in-place upgrade DDL (CREATE INDEX / ALTER TABLE … IF NOT EXISTS take table locks even when
 * there is nothing to do) inside one transaction while pushes held row locks on the same tables.
 */
describe.runIf(hasPg)('PostgreSQL: a process starting beside a busy one', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ engine: 'postgres' });
  });
  afterAll(() => srv.close());

  it('starts every time, and no push of the serving process fails', async () => {
    const schema = (srv.context.storage as PostgresEngine).schema;
    const token = await srv.token('anna', 'busy');
    let running = true;
    const statuses: number[] = [];
    const pushers = Array.from({ length: 4 }, async (_, k) => {
      const peer = new CorePeer(srv.url, token, `p${k}`);
      const docs: string[] = [];
      for (let i = 0; running; i++) {
        // New documents and updates of earlier ones: rows of docs and changes both written.
        const batch = [peer.change(undefined, [{ op: 'set', path: ['title'], value: `n${i}` }])];
        for (const id of docs.slice(-3))
          batch.push(peer.change(id, [{ op: 'set', path: ['title'], value: `u${i}` }]));
        docs.push(batch[0]!.doc);
        statuses.push((await peer.push(batch)).status);
      }
    });
    const failures: string[] = [];
    try {
      for (let i = 0; i < 15; i++) {
        const second = new PostgresEngine({ url: PG_URL, schema });
        try {
          await second.init();
        } catch (e) {
          failures.push(String(e));
        } finally {
          await second.close();
        }
      }
    } finally {
      running = false;
      await Promise.all(pushers);
    }
    expect(failures).toEqual([]);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
