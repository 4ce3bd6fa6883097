import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { CorePeer, SseClient, testServer, type TestServer } from './harness.js';
import { PG_URL, pgReachable } from './pgTest.js';

const hasPg = await pgReachable();

describe.runIf(hasPg)('PostgreSQL LISTEN connection lost', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ engine: 'postgres' });
  });
  afterAll(() => srv.close());

  it('writes committed while the listener was down still reach SSE streams, in order, without a hole', async () => {
    const token = await srv.token('anna', 'listen');
    const stream = await SseClient.open(`${srv.url}/v1/events`, token);
    try {
      await stream.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      const w = new CorePeer(srv.url, token, 'w');
      const a = w.change(undefined, [{ op: 'set', path: ['title'], value: 'before' }]);
      await w.push([a]);
      await stream.waitFor(() => stream.docs().some((d) => d.id === a.doc));

      const engine = srv.context.storage as PostgresEngine;
      const pid = await engine.listenerPid();
      expect(pid).toBeTypeOf('number');
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await admin.end();
      // Committed while nobody listens: its NOTIFY is lost.
      const b = w.change(undefined, [{ op: 'set', path: ['title'], value: 'while down' }]);
      await w.push([b]);
      await stream.waitFor(() => stream.docs().some((d) => d.id === b.doc), 10_000);
      const c = w.change(undefined, [{ op: 'set', path: ['title'], value: 'after' }]);
      await w.push([c]);
      await stream.waitFor(() => stream.docs().some((d) => d.id === c.doc), 10_000);
      expect(stream.docs().map((d) => d.id)).toEqual([a.doc, b.doc, c.doc]);
      expect(await engine.listenerPid()).not.toBe(pid);
    } finally {
      await stream.close();
    }
  });
});
