import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { startServer, type RunningServer, signToken } from '@fieldsync/server';
import { CorePeer, SECRET, WORK_ORDER } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';
import { pgStore, sqliteStore, type Store } from './restoreStores.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/**
 * Issue 13 with issue 11's restore detection: after a restore every tenant's head is its own
 * restored head, so "a cursor beyond the head" fires for the tenant that lost writes and for it
 * alone; the restored tenant's resync numbers its writes in its own sequence, leaving the
 * other tenant's head where it was.
 */
describe.each(engines)('restore with per-tenant sequences (%s)', (engine) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  it("the tenant that lost writes sees its head below its cursor and resyncs; the other tenant's head and cursors stay", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldsync-tenant-restore-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    let store: Store = engine === 'sqlite' ? sqliteStore(dir) : pgStore();
    const stores = [store];
    cleanups.push(async () => {
      for (const s of stores) await s.cleanup();
    });
    let srv: RunningServer | undefined;
    let url = '';
    const start = async (): Promise<void> => {
      srv = await startServer({ storage: store.open(), secret: SECRET, port: 0, types: [WORK_ORDER] });
      url = srv.url;
    };
    const stop = async (): Promise<void> => {
      await srv?.close();
      srv = undefined;
    };
    cleanups.push(stop);
    await start();
    const via = (input: string | URL | Request, init?: RequestInit) =>
      fetch(String(input).replace('http://server', url), init);
    const headers = async (token: string) => {
      const res = await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${token}` } });
      await res.body?.cancel();
      return { head: Number(res.headers.get('fieldsync-head')), epoch: res.headers.get('fieldsync-epoch') };
    };

    const acmeToken = await signToken(SECRET, { user: 'anna', tenant: 'r-acme' });
    const beta = new CorePeer(url, await signToken(SECRET, { user: 'bob', tenant: 'r-beta' }), 'rb');
    const acme: Database = await createDatabase({
      name: 'acme-device',
      replicaId: 'acme-device',
      sync: { url: 'http://server', fetch: via, token: acmeToken, autoStart: false, live: false },
    });
    cleanups.push(() => acme.close());
    await acme.defineType(WORK_ORDER);
    const orders = acme.collection('workOrder');
    for (let i = 0; i < 3; i++) await orders.insert({ title: `kept-${i}` });
    await acme.sync!.flush();
    for (let i = 0; i < 2; i++) {
      const c = beta.change(undefined, [{ op: 'set', path: ['title'], value: `beta-${i}` }]);
      await beta.push([c]);
    }
    await beta.pull();
    const before = { acme: await headers(acmeToken), beta: await headers(beta.token) };
    expect(before.beta.head).toBe(2);
    expect(beta.cursor).toBe(2);

    const backup = await store.backup(stop, start);
    stores.push(backup);
    for (let i = 0; i < 4; i++) await orders.insert({ title: `lost-${i}` });
    await acme.sync!.flush();
    const acmeHead = (await headers(acmeToken)).head;
    expect(acmeHead).toBe(before.acme.head + 4); // acme's own numbers: beta's two writes are not in it

    // The server dies and comes back from the backup, keeping its epoch (the operator forgot
    // reset-epoch): only the heads can tell.
    await stop();
    store = backup;
    await start();
    const after = { acme: await headers(acmeToken), beta: await headers(beta.token) };
    expect(after.acme.epoch).toBe(before.acme.epoch);
    expect(after.acme.head).toBe(before.acme.head); // below the acme device's cursor
    expect(after.beta.head).toBe(beta.cursor); // beta lost nothing: not below its cursor

    // The acme device notices by its tenant's head, resyncs, and gives the lost writes back.
    await acme.sync!.flush();
    expect(acme.sync!.status).toMatchObject({ resyncing: false, lastError: undefined, pending: 0 });
    const server = new CorePeer(url, acmeToken, 'check');
    await server.pull();
    expect(server.docs.size).toBe(7); // 3 kept by the backup + 4 given back by the device
    expect((await headers(acmeToken)).head).toBeGreaterThanOrEqual(before.acme.head + 4);
    // ...in acme's sequence only: beta's head and its cursor's meaning are untouched.
    expect((await headers(beta.token)).head).toBe(2);
    const betaAgain = new CorePeer(url, beta.token, 'rb2');
    betaAgain.cursor = beta.cursor;
    expect((await betaAgain.pull()).docs).toBe(0);
    const c = betaAgain.change(undefined, [{ op: 'set', path: ['title'], value: 'beta-after' }]);
    expect((await betaAgain.push([c])).body.cursor).toBe(3);
  }, 30_000);
});
