import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../../testing/browser/chromium.js';
import { serveClient } from '../../../testing/browser/serve.js';

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

  /** Records in the log store of IndexedDB database `name` (layout 2). */
  const logRecords = (p: Page, name: string): Promise<number> =>
    p.evaluate(
      (name) =>
        new Promise<number>((resolve, reject) => {
          const req = indexedDB.open(name);
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const count = req.result.transaction('log').objectStore('log').count();
            count.onsuccess = () => {
              req.result.close();
              resolve(count.result);
            };
          };
        }),
      name,
    );

  it('folds its log into a snapshot once most of it is superseded, and reopens the same', async () => {
    const ctx = await browser.newContext();
    const p = await page(ctx);
    const open = (p: Page) =>
      p.evaluate(async (type) => {
        const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
        const storage = new (IndexedDbStorage as unknown as new (n: string, o: unknown) => unknown)(
          'compact-db',
          {
            compactAfter: 50,
          },
        );
        const db = await createDatabase({ name: 'compact', storage });
        await db.defineType(type);
        (window as unknown as { db: unknown }).db = db;
      }, TYPE);
    await open(p);
    const written = await p.evaluate(async () => {
      const db = (window as unknown as { db: any }).db; // eslint-disable-line @typescript-eslint/no-explicit-any
      const orders = db.collection('workOrders');
      const ids: string[] = await orders.insertMany(
        Array.from({ length: 40 }, (_, i) => ({ title: `t${i}` })),
      );
      // 300 single commits, each superseding the document, the clock and (after the ack) the change.
      for (let i = 0; i < 300; i++) {
        await orders.update(ids[i % 40], { $set: { status: i % 2 ? 'open' : 'done' }, $inc: { visits: 1 } });
        if (i % 10 === 9) await db.outbox.ack((await db.outbox.peek(5)).map((c: { id: string }) => c.id));
      }
      await db.setMeta('cursor', '99');
      return {
        docs: orders.find({}, { sort: { title: 1 } }).fetch(),
        outbox: await db.outbox.peek(1000),
        clock: db.clock.last,
      };
    });
    // 300+ commits, folded: far fewer records than commits.
    const records = await logRecords(p, 'compact-db');
    expect(records).toBeLessThan(150);
    await p.reload();
    await p.waitForFunction(() => 'fieldsync' in window);
    await open(p);
    const restored = await p.evaluate(async () => {
      const db = (window as unknown as { db: any }).db; // eslint-disable-line @typescript-eslint/no-explicit-any
      const out = {
        docs: db
          .collection('workOrders')
          .find({}, { sort: { title: 1 } })
          .fetch(),
        outbox: await db.outbox.peek(1000),
        clock: db.clock.last,
        cursor: await db.getMeta('cursor'),
      };
      await db.close();
      return out;
    });
    expect(restored).toEqual({ ...written, cursor: '99' });
    await ctx.close();
  });

  it('reopens documents stored by column (format 2) beside a format-1 record, exactly', async () => {
    const ctx = await browser.newContext();
    const p = await page(ctx);
    const stamp = '0mxbef59w:0000:oldreplica';
    // A log holding one record as written before rows existed (format 1: `d` and `i` groups).
    await p.evaluate(
      (stamp) =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open('rows-db', 2);
          req.onupgradeneeded = () => req.result.createObjectStore('log', { autoIncrement: true });
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const db = req.result;
            const tx = db.transaction('log', 'readwrite');
            const names = ['title', 'status'];
            tx.objectStore('log').add(
              JSON.stringify({
                f: 1,
                d: [['workOrders', 'workOrders', 1, names, 'old1', stamp, 'format 1', 'open']],
                i: [['workOrders', 1, 'th-old', names, stamp, 'old1']],
                m: [
                  ['replicaId', 'oldreplica'],
                  ['clock', stamp],
                ],
              }),
            );
            tx.oncomplete = () => {
              db.close();
              resolve();
            };
          };
        }),
      stamp,
    );
    /** Everything a reopen must give back: states (stamps included), outbox, rejections, clock, cursor. */
    const read = async (p: Page, write: boolean) =>
      p.evaluate(
        async ({ type, write }) => {
          const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
          const db = await createDatabase({ name: 'rows', storage: new IndexedDbStorage('rows-db') });
          await db.defineType(type);
          const orders = db.collection('workOrders');
          if (write) {
            // 50 documents; then 1,000 in three field sets in one bulk load, two of which change
            // in the same tick (an update, a removal); then acks, a rejection and a cursor.
            await orders.insertMany(Array.from({ length: 50 }, (_, i) => ({ id: `e${i}`, title: `e${i}` })));
            const loading = orders.insertMany(
              Array.from({ length: 1000 }, (_, i) => ({
                id: `d${i}`,
                title: `t${i}`,
                ...(i % 3 === 0 ? { status: 'open' } : {}),
                ...(i % 3 === 1 ? { status: 'done', tags: ['x'] } : {}),
              })),
            );
            const changed = [orders.update('d0', { $set: { title: 'changed' } }), orders.remove('d3')];
            await Promise.all([loading, ...changed]);
            const pending = await db.outbox.peek(3);
            await db.outbox.ack([pending[0].id]);
            await db.outbox.reject(pending[2].id, 'forbidden');
            await db.setMeta('cursor', '4242');
          }
          const states: Record<string, string> = {};
          // Each register's value, stamp and seen stamp (which stamp a state keeps as its shared
          // `s` is its own business), and the other fields and tombstone as they are.
          for (const [id, st] of orders.states) {
            const regs: Record<string, unknown> = {};
            for (const k of Object.keys(st.r).sort()) regs[k] = [st.r[k], st.t[k] ?? st.s, st.x[k] ?? null];
            states[id] = JSON.stringify({ v: st.v, regs, fields: st.fields, deleted: st.deleted });
          }
          const out = {
            states,
            docs: orders.find({}).count(),
            outbox: await db.outbox.peek(100_000),
            rejected: db.rejectedChanges(),
            clock: db.clock.last,
            cursor: await db.getMeta('cursor'),
          };
          if (!write) await db.close(); // the writer goes away as a reloaded tab would
          return out;
        },
        { type: TYPE, write },
      );
    const written = await read(p, true);
    expect(written.docs).toBe(1050); // d3 removed, old1 kept
    // old1, 1,050 inserts, an update and a removal; one acked, one rejected.
    expect(written.outbox).toHaveLength(1053 - 2);
    const formats = await p.evaluate(
      () =>
        new Promise<Array<{ f: number; R: number; I: number }>>((resolve, reject) => {
          const req = indexedDB.open('rows-db');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const all = req.result.transaction('log').objectStore('log').getAll();
            all.onsuccess = () => {
              req.result.close();
              resolve(
                (all.result as string[]).map((r) => {
                  const e = JSON.parse(r) as { f: number; R?: Array<unknown[]>; I?: unknown[][] };
                  const rows = (e.R ?? []).reduce((n, g) => n + (g[4] as unknown[]).length, 0);
                  return { f: e.f, R: rows, I: (e.I ?? []).reduce((n, g) => n + g.length - 2, 0) };
                }),
              );
            };
          };
        }),
    );
    // The old record, then the bulk loads by column: rows, and inserts by row number.
    expect(formats[0]).toEqual({ f: 1, R: 0, I: 0 });
    // Of the 1,000: 333 have a set (tags) and d0, d3 changed, so they are stored whole.
    expect(formats.filter((r) => r.f === 2)).toEqual([
      { f: 2, R: 50, I: 50 },
      { f: 2, R: 665, I: 665 },
    ]);
    await p.reload();
    await p.waitForFunction(() => 'fieldsync' in window);
    expect(await read(p, false)).toEqual(written);
    await ctx.close();
  });

  it('migrates a layout-1 database (a record per document, change and meta key) to the log', async () => {
    const ctx = await browser.newContext();
    const p = await page(ctx);
    const stamp = '0mxbef59w:0000:oldreplica';
    // Written with the raw IndexedDB API exactly as IndexedDbStorage stored it before issue 15.
    await p.evaluate(
      ({ stamp, type }) =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open('old-db', 1);
          req.onupgradeneeded = () => {
            const db = req.result;
            db.createObjectStore('docs', { keyPath: ['c', 'id'] });
            db.createObjectStore('outbox', { keyPath: 'id' });
            db.createObjectStore('meta');
          };
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const db = req.result;
            const tx = db.transaction(['docs', 'outbox', 'meta'], 'readwrite');
            const fields = { title: { v: 'from layout 1', s: stamp }, status: { v: 'open', s: stamp } };
            tx.objectStore('docs').put({
              c: 'workOrders',
              id: 'old1',
              state: { id: 'old1', type: 'workOrders', v: 1, fields },
            });
            tx.objectStore('outbox').put({
              id: stamp,
              change: {
                id: stamp,
                doc: 'old1',
                type: 'workOrders',
                v: 1,
                stamp,
                ops: { title: { v: 'from layout 1' }, status: { v: 'open' } },
              },
            });
            tx.objectStore('meta').put('oldreplica', 'replicaId');
            tx.objectStore('meta').put(stamp, 'clock');
            tx.objectStore('meta').put('7', 'sync:cursor');
            tx.objectStore('meta').put(JSON.stringify([type]), 'types-unused');
            tx.oncomplete = () => {
              db.close();
              resolve();
            };
          };
        }),
      { stamp, type: TYPE },
    );
    const opened = await p.evaluate(async (type) => {
      const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
      const db = await createDatabase({ name: 'old', storage: new IndexedDbStorage('old-db') });
      await db.defineType(type);
      const out = {
        doc: db.collection('workOrders').findOne('old1'),
        outbox: await db.outbox.peek(10),
        clock: db.clock.last,
        replica: db.replicaId,
        cursor: await db.getMeta('cursor'),
        version: await new Promise<number>((resolve) => {
          const r = indexedDB.open('old-db');
          r.onsuccess = () => {
            resolve(r.result.version);
            r.result.close();
          };
        }),
      };
      await db.close();
      return out;
    }, TYPE);
    expect(opened.doc).toMatchObject({ id: 'old1', title: 'from layout 1', status: 'open' });
    expect(opened.outbox).toEqual([
      {
        id: stamp,
        doc: 'old1',
        type: 'workOrders',
        v: 1,
        stamp,
        ops: { title: { v: 'from layout 1' }, status: { v: 'open' } },
      },
    ]);
    expect(opened.replica.startsWith('oldreplica')).toBe(true);
    expect(opened.clock >= stamp).toBe(true);
    expect(opened.cursor).toBe('7');
    expect(opened.version).toBe(2);
    expect(await logRecords(p, 'old-db')).toBe(2); // the migrated snapshot, then defineType's commit
    await ctx.close();
  });

  it('reports persistent storage and usage/quota, and asks for it', async () => {
    const ctx = await browser.newContext();
    const p = await page(ctx);
    const out = await p.evaluate(async () => {
      const fs = (window as unknown as { fieldsync: any }).fieldsync; // eslint-disable-line @typescript-eslint/no-explicit-any
      const before = await fs.storagePersistence();
      const db = await fs.createDatabase({ name: 'quota', storage: new fs.IndexedDbStorage('quota-db') });
      await db.setMeta('filler', 'x'.repeat(200_000));
      const after = await fs.requestStoragePersistence();
      await db.close();
      return { before, after, browser: await navigator.storage.persisted() };
    });
    // What the browser says, as the browser says it (headless Chromium decides by its own heuristics).
    expect(typeof out.before.persisted).toBe('boolean');
    expect(out.after.persisted).toBe(out.browser);
    expect(out.after.quota).toBeGreaterThan(0);
    expect(out.after.usage).toBeGreaterThan(0);
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
