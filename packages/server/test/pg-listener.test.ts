import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { CorePeer, SseClient, testServer, type TestServer } from '../../../testing/server/harness.js';
import { PG_URL, pgReachable } from '../../../testing/pgTest.js';

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

  it("per tenant: each stream gets its own tenant's missed writes, with event ids in its own sequence, never above its head", async () => {
    const engine = srv.context.storage as PostgresEngine;
    const tokens = { acme: await srv.token('anna', 'l-acme'), beta: await srv.token('bob', 'l-beta') };
    const peers = {
      acme: new CorePeer(srv.url, tokens.acme, 'la'),
      beta: new CorePeer(srv.url, tokens.beta, 'lb'),
    };
    const streams = {
      acme: await SseClient.open(`${srv.url}/v1/events`, tokens.acme),
      beta: await SseClient.open(`${srv.url}/v1/events`, tokens.beta),
    };
    try {
      for (const s of Object.values(streams)) await s.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      const write = async (t: 'acme' | 'beta', title: string): Promise<string> => {
        const c = peers[t].change(undefined, [{ op: 'set', path: ['title'], value: title }]);
        await peers[t].push([c]);
        return c.doc;
      };
      const want = {
        acme: [await write('acme', 'a1'), await write('acme', 'a2')],
        beta: [await write('beta', 'b1')],
      };
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [await engine.listenerPid()]);
      await admin.end();
      // Lost notifications of both tenants: acme writes much more than beta meanwhile.
      for (let i = 0; i < 5; i++) want.acme.push(await write('acme', `a-down-${i}`));
      want.beta.push(await write('beta', 'b-down'));
      for (const t of ['acme', 'beta'] as const)
        await streams[t].waitFor(
          () => want[t].every((id) => streams[t].docs().some((d) => d.id === id)),
          10_000,
        );
      want.beta.push(await write('beta', 'b-after'));
      await streams.beta.waitFor(() => streams.beta.docs().some((d) => d.id === want.beta.at(-1)), 10_000);
      for (const t of ['acme', 'beta'] as const) {
        expect(streams[t].docs().map((d) => d.id)).toEqual(want[t]);
        const ids = streams[t].events.filter((e) => e.event === 'sync').map((e) => Number(e.id));
        const head = await engine.tenantHead(t === 'acme' ? 'l-acme' : 'l-beta');
        expect(head).toBe(want[t].length);
        expect(Math.max(...ids)).toBe(head); // never above the tenant's head
        expect([...ids].sort((a, b) => a - b)).toEqual(ids); // in order
      }
    } finally {
      for (const s of Object.values(streams)) await s.close();
    }
  });
});
