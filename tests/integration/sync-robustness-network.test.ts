import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, type SyncOptions } from '@fieldsync/client';
import { WORK_ORDER, testServer, waitFor, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';
import { TcpProxy } from './tcpProxy.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** Wall time of `p`, in ms. */
const timed = async (p: Promise<unknown>): Promise<number> => {
  const t0 = Date.now();
  await p;
  return Date.now() - t0;
};

/**
 * Issue 11, case 1 (half-open network) and case 7 (no `online` event in Node): a real client
 * talks to a real server through a TCP proxy the test black-holes, cuts and restores.
 */
describe.each(engines)('sync never wedges on a dead network (%s)', (engine) => {
  const HEARTBEAT = 400;
  let srv: TestServer;
  let proxy: TcpProxy;
  const dbs: Database[] = [];
  const open = async (user: string, url: string, sync: Partial<SyncOptions> = {}) => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      sync: { url, token: await srv.token(user, 'acme'), autoStart: false, ...sync },
    });
    await db.defineType(WORK_ORDER);
    dbs.push(db);
    return db;
  };
  /** Scaled-down deadlines (the same rules as the defaults, 15–40× faster). */
  const fast: Partial<SyncOptions> = {
    heartbeatMs: HEARTBEAT,
    requestTimeoutMs: 1000,
    probeMs: 200,
    probeTimeoutMs: 300,
    initialMs: 50,
    // A backoff far longer than the test: only the probe can bring the client back in time.
    maxMs: 60_000,
  };

  beforeAll(async () => {
    srv = await testServer({ engine, heartbeatMs: HEARTBEAT });
  });
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.close();
    await proxy?.close();
  });
  afterAll(async () => {
    await srv.close();
  });

  it('half-open: status tells the truth, stop() is prompt, and the client recovers by itself after restore', async () => {
    proxy = await TcpProxy.start(Number(new URL(srv.url).port));
    const anna = await open('anna-h', proxy.url, fast);
    const ben = await open('ben-h', srv.url, fast);
    anna.sync!.start();
    ben.sync!.start();
    await waitFor(() => anna.sync!.status.live && ben.sync!.status.live);
    expect(anna.sync!.status.online).toBe(true);

    proxy.blackhole();
    const lost = await anna.collection('workOrder').insert({ title: 'written in the tunnel' });
    await waitFor(() => anna.sync!.status.pushing); // the push is in flight, into the void
    // Deadline + watchdog: within a request timeout / two heartbeats the status is truthful.
    await waitFor(() => {
      const s = anna.sync!.status;
      return !s.online && !s.live && !s.pushing && s.pending === 1;
    }, 3000);
    expect(anna.sync!.status.lastError).toMatch(/network/);
    expect(proxy.swallowed).toBeGreaterThan(0);
    // Ben keeps working against the server meanwhile.
    const fromBen = await ben.collection('workOrder').insert({ title: 'from the office' });

    // A flush during the outage fails within its deadline instead of hanging for minutes.
    const failed = Date.now();
    await expect(anna.sync!.flush()).rejects.toThrow(/network|no answer/);
    expect(Date.now() - failed).toBeLessThan(2 * 1000 + 500);

    proxy.restore();
    const restored = Date.now();
    // By itself (probe, not the 60 s backoff): the write reaches Ben, Ben's reaches Anna.
    await waitFor(
      () =>
        ben.collection('workOrder').findOne(lost) !== undefined &&
        anna.collection('workOrder').findOne(fromBen) !== undefined &&
        anna.sync!.status.live,
      10_000,
    );
    const recovered = Date.now() - restored;
    expect(recovered).toBeLessThan(5000);
    expect(anna.sync!.status).toMatchObject({ online: true, live: true, pending: 0, pushing: false });
    expect(await timed(anna.sync!.flush())).toBeLessThan(1000);

    // stop() while a push hangs on a black-holed socket returns at once.
    proxy.blackhole();
    await anna.collection('workOrder').insert({ title: 'stuck' });
    await waitFor(() => anna.sync!.status.pushing);
    expect(await timed(anna.sync!.stop())).toBeLessThan(200);
    expect(anna.sync!.status).toMatchObject({ running: false, live: false, pushing: false, pending: 1 });
  });

  it('db.close() is prompt while a flush hangs on a black hole', async () => {
    proxy = await TcpProxy.start(Number(new URL(srv.url).port));
    const anna = await open('anna-c', proxy.url, { ...fast, requestTimeoutMs: 60_000 });
    await anna.sync!.flush();
    proxy.blackhole();
    await anna.collection('workOrder').insert({ title: 'closing' });
    const flushing = anna.sync!.flush();
    flushing.catch(() => undefined);
    await waitFor(() => anna.sync!.status.pushing);
    expect(await timed(anna.close())).toBeLessThan(200);
    await expect(flushing).rejects.toThrow(/stopped/);
    dbs.splice(dbs.indexOf(anna), 1);
  });

  it("learns the server's heartbeat from its pings: a dead stream is noticed in two heartbeats, not two configured ones", async () => {
    proxy = await TcpProxy.start(Number(new URL(srv.url).port));
    // Configured for a 10 s heartbeat; the server pings every 400 ms.
    const anna = await open('anna-b', proxy.url, { ...fast, heartbeatMs: 10_000 });
    anna.sync!.start();
    await waitFor(() => anna.sync!.status.live);
    await new Promise((r) => setTimeout(r, 3 * HEARTBEAT)); // two pings or more
    proxy.blackhole();
    const t0 = Date.now();
    await waitFor(() => !anna.sync!.status.live, 5000); // 2 × 400 + 400 ms, not 22 s
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('cut and restore: the probe brings a long-offline Node client back without waiting out its backoff', async () => {
    proxy = await TcpProxy.start(Number(new URL(srv.url).port));
    // First retry after 10–20 s: only the probe can bring it back within 2 s of the restore.
    const anna = await open('anna-k', proxy.url, { ...fast, initialMs: 20_000 });
    anna.sync!.start();
    await waitFor(() => anna.sync!.status.live);
    proxy.cut();
    await waitFor(() => !anna.sync!.status.online, 3000);
    const id = await anna.collection('workOrder').insert({ title: 'written offline' });
    await new Promise((r) => setTimeout(r, 2500));
    expect(anna.sync!.status.online).toBe(false);
    proxy.restore();
    const restored = Date.now();
    await waitFor(() => anna.sync!.status.pending === 0 && anna.sync!.status.live, 10_000);
    expect(Date.now() - restored).toBeLessThan(2000);
    const reader = await open('reader-k', srv.url);
    await reader.sync!.flush();
    expect(reader.collection('workOrder').findOne(id)).toMatchObject({ title: 'written offline' });
  });
});

/**
 * The same half-open drop with the DEFAULT deadlines (15 s requests, 15 s server heartbeat, 3 s
 * probe): the bound is recovery within 45 s of the network returning.
 */
describe('half-open drop with default settings recovers within 45 s (sqlite)', () => {
  let srv: TestServer;
  let proxy: TcpProxy;
  const dbs: Database[] = [];
  beforeAll(async () => {
    srv = await testServer({ engine: 'sqlite' });
    proxy = await TcpProxy.start(Number(new URL(srv.url).port));
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await proxy.close();
    await srv.close();
  });

  it('a write made in the tunnel reaches the server ≤ 45 s after restore; flush() resolves within the bound', async () => {
    const anna = await createDatabase({
      name: 'anna-d',
      replicaId: 'anna-d',
      sync: { url: proxy.url, token: await srv.token('anna-d', 'acme'), autoStart: false },
    });
    dbs.push(anna);
    await anna.defineType(WORK_ORDER);
    anna.sync!.start();
    await waitFor(() => anna.sync!.status.live);
    proxy.blackhole();
    const id = await anna.collection('workOrder').insert({ title: 'in the tunnel' });
    await new Promise((r) => setTimeout(r, 5000));
    proxy.restore();
    const restored = Date.now();
    const flushed = await timed(anna.sync!.flush());
    expect(flushed).toBeLessThan(45_000);
    await waitFor(() => anna.sync!.status.pending === 0 && anna.sync!.status.live, 45_000);
    const recovered = Date.now() - restored;
    console.log(`[half-open, defaults] flush ${flushed} ms, live again ${recovered} ms after restore`);
    expect(recovered).toBeLessThan(45_000);
    const res = await fetch(`${srv.url}/v1/pull?since=0`, {
      headers: { authorization: `Bearer ${await srv.token('r', 'acme')}` },
    });
    const body = (await res.json()) as { docs: Array<{ id: string }> };
    expect(body.docs.map((d) => d.id)).toContain(id);
  }, 90_000);
});
