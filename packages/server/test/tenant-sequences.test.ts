import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorePeer, SseClient, testServer, type TestServer } from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** Issue 13: every tenant's cursor is its own, so tenants neither see nor wait on each other. */
describe.each(engines)('per-tenant sequences over HTTP (%s)', (engine) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ engine });
  });
  afterAll(() => srv.close());

  const headOf = async (token: string): Promise<number> => {
    const res = await fetch(`${srv.url}/v1/pull?since=0&limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    return Number(res.headers.get('fieldsync-head'));
  };
  const write = async (p: CorePeer, title: string): Promise<{ doc: string; cursor: number }> => {
    const c = p.change(undefined, [{ op: 'set', path: ['title'], value: title }]);
    const r = await p.push([c]);
    expect(r.body.results.map((x) => x.status)).toEqual(['ok']);
    return { doc: c.doc, cursor: r.body.cursor };
  };

  it("two tenants writing: B's head, pull cursor and push cursor move only with B's own writes", async () => {
    const a = new CorePeer(srv.url, await srv.token('anna', 'seq-acme'), 'sa');
    const b = new CorePeer(srv.url, await srv.token('bob', 'seq-beta'), 'sb');
    expect((await write(b, 'b1')).cursor).toBe(1);
    expect((await write(a, 'a1')).cursor).toBe(1); // acme's own first sequence
    await b.pull();
    expect(b.cursor).toBe(1);
    for (let i = 2; i <= 30; i++) expect((await write(a, `a${i}`)).cursor).toBe(i);
    expect(await headOf(a.token)).toBe(30);
    // Nothing of acme's 30 writes shows in beta's figures.
    expect(await headOf(b.token)).toBe(1);
    const again = await fetch(`${srv.url}/v1/pull?since=${b.cursor}`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    expect(await again.json()).toMatchObject({ cursor: 1, docs: [], more: false });
    expect(again.headers.get('fieldsync-head')).toBe('1');
    // A push of beta that changes nothing answers beta's head, not acme's.
    const dup = await b.push([]);
    expect(dup.body.cursor).toBe(1);
    expect((await write(b, 'b2')).cursor).toBe(2);
    await b.pull();
    expect([b.cursor, b.docs.size]).toEqual([2, 2]);
  });

  it('health: nothing without a token; with one, only the caller tenant’s head', async () => {
    const t = await srv.token('anna', 'seq-acme');
    const anon = await fetch(`${srv.url}/v1/health`);
    expect(await anon.json()).toEqual({ ok: true });
    expect(anon.headers.get('fieldsync-head')).toBeNull();
    const mine = await fetch(`${srv.url}/v1/health`, { headers: { authorization: `Bearer ${t}` } });
    const body = (await mine.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['engine', 'ok', 'protocol']);
    expect(mine.headers.get('fieldsync-head')).toBe(String(await headOf(t)));
  });

  it("SSE per tenant: a stream sees no event for another tenant's writes; ids, ready and resume are in its own sequence", async () => {
    const a = new CorePeer(srv.url, await srv.token('anna', 'sse-acme'), 'ea');
    const b = new CorePeer(srv.url, await srv.token('bob', 'sse-beta'), 'eb');
    const b1 = await write(b, 'b1');
    for (let i = 0; i < 5; i++) await write(a, `a${i}`);
    const stream = await SseClient.open(`${srv.url}/v1/events`, b.token);
    try {
      await stream.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      const ready = stream.events.find((e) => e.event === 'ready')!;
      expect(JSON.parse(ready.data)).toMatchObject({ cursor: 1, head: 1 });
      expect(stream.docs().map((d) => d.id)).toEqual([b1.doc]);
      // acme writes while beta's stream is live: beta gets nothing, not even an id.
      for (let i = 0; i < 10; i++) await write(a, `a-live-${i}`);
      const b2 = await write(b, 'b2');
      await stream.waitFor(() => stream.docs().some((d) => d.id === b2.doc));
      const syncIds = stream.events.filter((e) => e.event === 'sync').map((e) => e.id);
      expect(syncIds).toEqual(['1', '2']);
      expect(stream.docs().map((d) => d.id)).toEqual([b1.doc, b2.doc]);
    } finally {
      await stream.close();
    }
    // Resume from the last event id while acme kept writing: only beta's later writes, in beta's numbers.
    for (let i = 0; i < 7; i++) await write(a, `a-away-${i}`);
    const b3 = await write(b, 'b3');
    const resumed = await SseClient.open(`${srv.url}/v1/events`, b.token, { 'last-event-id': '2' });
    try {
      await resumed.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      expect(resumed.docs().map((d) => d.id)).toEqual([b3.doc]);
      expect(resumed.events.filter((e) => e.event === 'sync').map((e) => e.id)).toEqual(['3']);
      expect(JSON.parse(resumed.events.find((e) => e.event === 'ready')!.data)).toMatchObject({
        cursor: 3,
        head: 3,
      });
    } finally {
      await resumed.close();
    }
    expect(await headOf(a.token)).toBe(22);
  });
});
