import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './browser/chromium.js';
import { serveClient } from './browser/serve.js';

// Real Chromium, real IndexedDB, real BroadcastChannel: no fakes.
describe.skipIf(!chromiumAvailable())('IndexedDB in real Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveClient>>;

  beforeAll(async () => {
    server = await serveClient();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function page(ctx: Awaited<ReturnType<Browser['newContext']>>): Promise<Page> {
    const p = await ctx.newPage();
    await p.goto(server.url);
    await p.waitForFunction(() => 'fieldsync' in window);
    return p;
  }

  const TYPE = {
    name: 'workOrders',
    version: 1,
    fields: {
      title: { type: 'string', required: true },
      status: { type: 'enum', values: ['open', 'done'] },
      visits: { type: 'counter' },
      tags: { type: 'set', of: { type: 'string' } },
    },
  };

  type FS = {
    createDatabase: (o: unknown) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    IndexedDbStorage: new (name: string) => unknown;
  };

  it('IndexedDB storage restores documents, outbox and clock after a page reload', async () => {
    const ctx = await browser.newContext();
    const p = await page(ctx);
    const written = await p.evaluate(async (type) => {
      const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
      const db = await createDatabase({ name: 'reload', storage: new IndexedDbStorage('reload-db') });
      await db.defineType(type);
      const orders = db.collection('workOrders');
      const ids: string[] = await orders.insertMany(
        Array.from({ length: 200 }, (_, i) => ({ title: `t${i}`, status: 'open' })),
      );
      await orders.update(ids[0], { $inc: { visits: 3 }, $addToSet: { tags: 'x' } });
      await orders.remove(ids[1]);
      const pending = await db.outbox.peek(1000);
      await db.outbox.ack([pending[0].id]);
      await db.outbox.reject(pending[1].id, 'forbidden');
      await db.setMeta('cursor', '17');
      // No close(): the page goes away as a crashed or reloaded tab would.
      return {
        docs: orders.find({}).fetch(),
        outbox: await db.outbox.peek(1000),
        rejected: db.rejectedChanges(),
        clock: db.clock.last,
        replicaBase: db.replicaId.slice(0, db.replicaId.lastIndexOf('-')),
      };
    }, TYPE);
    expect(written.docs).toHaveLength(199);

    await p.reload();
    await p.waitForFunction(() => 'fieldsync' in window);
    const restored = await p.evaluate(async () => {
      const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
      const db = await createDatabase({ name: 'reload', storage: new IndexedDbStorage('reload-db') });
      const orders = db.collection('workOrders');
      const out = {
        docs: orders.find({}).fetch(),
        outbox: await db.outbox.peek(1000),
        rejected: db.rejectedChanges(),
        clock: db.clock.last,
        replicaBase: db.replicaId.slice(0, db.replicaId.lastIndexOf('-')),
      };
      await db.close();
      return out;
    });
    expect(restored).toEqual(written);
    await ctx.close();
  });

  it('two tabs on one IndexedDB database see each other’s writes', async () => {
    const ctx = await browser.newContext();
    const [a, b] = [await page(ctx), await page(ctx)];
    const open = async (p: Page) =>
      p.evaluate(async (type) => {
        const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
        const db = await createDatabase({ name: 'tabs', storage: new IndexedDbStorage('tabs-db') });
        await db.defineType(type);
        const w = window as unknown as { db: unknown; seen: number[] };
        w.db = db;
        w.seen = [];
        db.collection('workOrders')
          .find({ status: 'open' })
          .subscribe((r: unknown[]) => w.seen.push(r.length));
      }, TYPE);
    await open(a);
    await open(b);
    await a.evaluate(async () => {
      const db = (
        window as unknown as {
          db: { collection: (n: string) => { insert: (d: unknown) => Promise<string> } };
        }
      ).db;
      await db.collection('workOrders').insert({ id: 'from-a', title: 'written in tab A', status: 'open' });
    });
    await b.waitForFunction(() => (window as unknown as { seen: number[] }).seen.at(-1) === 1, undefined, {
      timeout: 10_000,
    });
    const inB = await b.evaluate(() => {
      const db = (
        window as unknown as { db: { collection: (n: string) => { findOne: (id: string) => unknown } } }
      ).db;
      return db.collection('workOrders').findOne('from-a');
    });
    expect(inB).toMatchObject({ id: 'from-a', title: 'written in tab A' });
    await ctx.close();
  });
});
