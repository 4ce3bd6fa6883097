import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../../testing/browser/chromium.js';
import { serveClient } from '../../../testing/browser/serve.js';

type FS = {
  createDatabase: (o: unknown) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  IndexedDbStorage: new (name: string) => unknown;
};

/** Field order survives IndexedDB client storage (real Chromium, a page reload in between). */
describe.skipIf(!chromiumAvailable())('field order through IndexedDB', () => {
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

  it('a type with unsorted fields and its records read back in the declared order after a reload, also after a migration', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(server.url);
    await p.waitForFunction(() => 'fieldsync' in window);
    const TYPE = {
      name: 'Visit',
      version: 1,
      fields: {
        siteAddress: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'string' },
        a: { type: 'string' },
        notes: { type: 'string' },
        address: { type: 'object', fields: { street: { type: 'string' }, city: { type: 'string' } } },
      },
    };
    await p.evaluate(async (type) => {
      const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
      const db = await createDatabase({ name: 'order', storage: new IndexedDbStorage('order-db') });
      await db.defineType(type);
      const id = await db.collection('Visit').insert({ notes: 'n', a: 'x', title: 't', siteAddress: 's' });
      await db.collection('Visit').update(id, { $set: { 'address.city': 'Graz', 'address.street': 'Main' } });
      await db.migrateType('Visit', [
        { op: 'renameField', from: 'a', to: 'zone' },
        { op: 'addField', field: 'crew', def: { type: 'string', default: 'blue' }, after: 'title' },
      ]);
    }, TYPE);
    await p.reload();
    await p.waitForFunction(() => 'fieldsync' in window);
    const read = await p.evaluate(async () => {
      const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: FS }).fieldsync;
      const db = await createDatabase({ name: 'order', storage: new IndexedDbStorage('order-db') });
      const doc = db.collection('Visit').find({}).fetch()[0];
      const out = {
        type: Object.keys(db.types.get('Visit').fields),
        doc: Object.keys(doc),
        address: Object.keys(doc.address),
      };
      await db.close();
      return out;
    });
    expect(read.type).toEqual(['siteAddress', 'title', 'crew', 'status', 'zone', 'notes', 'address']);
    expect(read.doc).toEqual(['id', 'siteAddress', 'title', 'crew', 'zone', 'notes', 'address']);
    expect(read.address).toEqual(['street', 'city']);
    await ctx.close();
  });
});
