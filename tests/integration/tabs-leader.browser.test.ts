import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../testing/browser/chromium.js';
import { writeClientApp } from '../../testing/browser/serve.js';
import { signToken, startServer, type RunningServer, SqliteEngine } from '@fieldsync/server';

/*
 * Leader election between tabs (packages/client/src/tab) in real Chromium: real Web Locks, real
 * BroadcastChannel, real IndexedDB, against a real server, which is why it lives with the server
 * tests (the client's tests never import the server). The page loads the client bundled from
 * source and is served by the sync server itself (`app`), so it syncs with its own origin.
 */

const SECRET = 'tabs-leader-test-secret-0123456789abcdef';
const TYPE = {
  name: 'workOrders',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'done'] },
    visits: { type: 'counter' },
    notes: { type: 'text' },
  },
};

const missing = !chromiumAvailable();

/** What the test calls in a page (the real client, bundled by esbuild). */
interface Tab {
  db: {
    tabRole: string;
    replicaId: string;
    clock: { last: string };
    sync: { status: { live: boolean; pending: number; running: boolean } };
    outbox: { count(): Promise<number> };
    collection(n: string): {
      insert(d: unknown): Promise<string>;
      insertMany(d: unknown[]): Promise<string[]>;
      update(id: string, m: unknown): Promise<void>;
      findOne(id: string): Record<string, unknown> | undefined;
      text(id: string, f: string): { insert(i: number, s: string): Promise<void>; toString(): string };
    };
    transaction(fn: () => void): Promise<void>;
    close(): Promise<void>;
  };
}

describe.skipIf(missing)('leader tab: one sync connection and one replica id per device', () => {
  let browser: Browser;
  let server: RunningServer;
  let dir: string;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fieldsync-tabs-'));
    const app = join(dir, 'app');
    await writeClientApp(app);
    server = await startServer({
      storage: new SqliteEngine({ file: join(dir, 'db.sqlite'), synchronous: 'NORMAL' }),
      secret: SECRET,
      port: 0,
      types: [TYPE as never],
      app,
      heartbeatMs: 1000,
      // A title "forbidden" is refused for good: the change is set aside on the device.
      permissions: { types: { workOrders: { write: (_u, doc) => doc['title'] !== 'forbidden' } } },
    });
    token = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openTab(ctx: BrowserContext): Promise<Page> {
    const p = await ctx.newPage();
    await p.goto(server.url);
    await p.waitForFunction(() => 'fieldsync' in window);
    await p.evaluate(
      async ({ type, token }) => {
        const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: any }).fieldsync; // eslint-disable-line @typescript-eslint/no-explicit-any
        const db = await createDatabase({
          name: 'tabs',
          storage: new IndexedDbStorage('leader-db'),
          sync: { url: location.origin, token },
        });
        await db.defineType(type);
        (window as unknown as { db: unknown }).db = db;
      },
      { type: TYPE, token },
    );
    return p;
  }

  const role = (p: Page): Promise<string> => p.evaluate(() => (window as unknown as Tab).db.tabRole);
  const serverDoc = async (id: string): Promise<Record<string, unknown> | undefined> => {
    const states = await server.context.storage.pull('acme', { since: 0, limit: 1000 });
    return states.docs.find((d) => d.id === id) as Record<string, unknown> | undefined;
  };
  const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const end = Date.now() + 15_000;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('elects one leader; a follower’s writes are made by it, durable before they resolve, synced once', async () => {
    const ctx = await browser.newContext();
    const a = await openTab(ctx);
    await until('tab A to lead', async () => (await role(a)) === 'leader');
    const b = await openTab(ctx);
    const c = await openTab(ctx);
    expect(await role(b)).toBe('follower');
    expect(await role(c)).toBe('follower');
    const ids = await Promise.all(
      [a, b, c].map((p) => p.evaluate(() => (window as unknown as Tab).db.replicaId)),
    );
    expect(new Set(ids).size).toBe(1); // one replica id for the device
    await until('one live stream', async () => server.context.hub.size === 1);

    // B writes: validated in B, made by A, and B's promise resolves with the result already in B.
    const written = await b.evaluate(async () => {
      const { db } = window as unknown as Tab;
      const orders = db.collection('workOrders');
      const id = await orders.insert({ id: 'wo-b', title: 'from follower B', status: 'open' });
      await orders.update(id, { $inc: { visits: 2 } });
      const t = orders.text(id, 'notes');
      // Keystrokes typed faster than the leader answers: each is built on the previous one.
      await Promise.all([t.insert(0, 'h'), t.insert(1, 'e'), t.insert(2, 'y')]);
      // A bulk insert and a transaction from the follower: all or nothing, as in the leader.
      const bulk = await orders.insertMany([
        { id: 'wo-m1', title: 'bulk one', status: 'open' },
        { id: 'wo-m2', title: 'bulk two', status: 'open' },
      ]);
      await db.transaction(() => {
        void orders.update('wo-m1', { $set: { status: 'done' } });
        void orders.update('wo-m2', { $inc: { visits: 1 } });
      });
      let rolledBack = false;
      try {
        await db.transaction(() => {
          void orders.update('wo-m1', { $set: { title: 'never' } });
          throw new Error('abort');
        });
      } catch {
        rolledBack = orders.findOne('wo-m1')?.['title'] === 'bulk one';
      }
      let invalid = '';
      try {
        await orders.insert({ title: 7 });
      } catch (e) {
        invalid = (e as Error).name;
      }
      return {
        doc: orders.findOne(id),
        notes: t.toString(),
        invalid,
        bulk,
        m1: orders.findOne('wo-m1'),
        m2: orders.findOne('wo-m2'),
        rolledBack,
      };
    });
    expect(written.doc).toMatchObject({ id: 'wo-b', title: 'from follower B', visits: 2 });
    expect(written.notes).toBe('hey');
    expect(written.invalid).toBe('ValidationError'); // thrown in the follower, nothing forwarded
    expect(written.bulk).toEqual(['wo-m1', 'wo-m2']);
    expect(written.m1).toMatchObject({ status: 'done', title: 'bulk one' });
    expect(written.m2).toMatchObject({ visits: 1 });
    expect(written.rolledBack).toBe(true);
    await until('A to see the transaction', () =>
      a.evaluate(
        () => (window as unknown as Tab).db.collection('workOrders').findOne('wo-m1')?.['status'] === 'done',
      ),
    );
    const inA = await a.evaluate(() =>
      (window as unknown as Tab).db.collection('workOrders').findOne('wo-b'),
    );
    expect(inA).toMatchObject({ visits: 2, notes: 'hey' });

    // Only the leader's stamps: every change the server got carries the device's one replica id.
    await until('the server to have wo-b', async () => (await serverDoc('wo-b')) !== undefined);
    const stored = JSON.stringify(await serverDoc('wo-b'));
    expect(stored).toContain(ids[0]);
    // Followers show the leader's sync status.
    await until('B to show live', () =>
      b.evaluate(
        () =>
          (window as unknown as Tab).db.sync.status.live && (window as unknown as Tab).db.sync.status.running,
      ),
    );
    expect(server.context.hub.size).toBe(1);

    // A type defined in a follower (no record written) is pushed by the leader at once, not with
    // the next record write or reconnect: everything else is quiet by now.
    await until(
      'the outbox to drain',
      async () => (await a.evaluate(() => (window as unknown as Tab).db.outbox.count())) === 0,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const defined = Date.now();
    await b.evaluate(async () => {
      const db = (window as unknown as { db: { defineType(t: unknown): Promise<void> } }).db;
      await db.defineType({ name: 'inspection', version: 1, fields: { place: { type: 'string' } } });
    });
    await until('the server to know the type', async () =>
      Boolean((await server.context.types.registry('acme')).get('inspection')),
    );
    expect(Date.now() - defined).toBeLessThan(3000);
    await ctx.close();
  });

  it('a set-aside change retried in a follower is re-issued by the leader', async () => {
    const ctx = await browser.newContext();
    const a = await openTab(ctx);
    await until('tab A to lead', async () => (await role(a)) === 'leader');
    const b = await openTab(ctx);
    await b.evaluate(async () => {
      await (window as unknown as Tab).db
        .collection('workOrders')
        .insert({ id: 'wo-no', title: 'forbidden' });
    });
    type Rejected = Array<{ id: string; retry(): Promise<void> }>;
    const rejectedIds = (p: Page): Promise<string[]> =>
      p.evaluate(() =>
        ((window as unknown as { db: { rejectedChanges(): Rejected } }).db.rejectedChanges() as Rejected).map(
          (r) => r.id,
        ),
      );
    await until('the insert to be set aside in B', async () => (await rejectedIds(b)).length === 1);
    const [first] = await rejectedIds(b);
    await b.evaluate(async () => {
      const [r] = (window as unknown as { db: { rejectedChanges(): Rejected } }).db.rejectedChanges();
      await r!.retry();
    });
    // Re-issued under a new stamp of the device's one replica id, pushed, refused again.
    await until('the retried change to be set aside again', async () => {
      const ids = await rejectedIds(a);
      return ids.length === 1 && ids[0] !== first;
    });
    const [second] = await rejectedIds(a);
    const replica = await a.evaluate(() => (window as unknown as Tab).db.replicaId);
    expect(second!.endsWith(`:${replica}`)).toBe(true);
    await until('B to mirror it', async () => (await rejectedIds(b))[0] === second);
    await ctx.close();
  });

  it('a follower’s resolved write survives the leader tab closing; the follower takes over syncing', async () => {
    const ctx = await browser.newContext();
    const a = await openTab(ctx);
    await until('tab A to lead', async () => (await role(a)) === 'leader');
    const b = await openTab(ctx);
    await until('one live stream', async () => server.context.hub.size === 1);
    await b.evaluate(async () => {
      await (window as unknown as Tab).db
        .collection('workOrders')
        .insert({ id: 'wo-takeover', title: 'before', status: 'open' });
    });
    // The leader goes away without closing its database (a closed or crashed tab).
    await ctx.setOffline(true);
    await a.close();
    await until('B to lead', async () => (await role(b)) === 'leader');
    await b.evaluate(async () => {
      await (window as unknown as Tab).db
        .collection('workOrders')
        .update('wo-takeover', { $set: { title: 'after' } });
    });
    expect(await b.evaluate(() => (window as unknown as Tab).db.outbox.count())).toBeGreaterThan(0);
    await ctx.setOffline(false);
    await until('the new leader to push', async () =>
      JSON.stringify(await serverDoc('wo-takeover')).includes('after'),
    );
    await until('one live stream again', async () => server.context.hub.size === 1);

    // Durable locally: a fresh tab reads both writes from IndexedDB.
    const c = await openTab(ctx);
    expect(await role(c)).toBe('follower');
    const inC = await c.evaluate(() =>
      (window as unknown as Tab).db.collection('workOrders').findOne('wo-takeover'),
    );
    expect(inC).toMatchObject({ title: 'after' });
    await ctx.close();
  });
});
