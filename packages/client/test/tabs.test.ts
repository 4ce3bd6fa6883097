import { afterEach, expect, it } from 'vitest';
import type { Database } from '../src/index.js';
import { createDatabase, MemoryStorage } from '../src/index.js';
import { workOrderType } from './fixtures.js';

/**
 * Stands in for one IndexedDB database opened by two tabs: one store, shared, serialized
 * states (no shared objects), and a `sharedName` so the databases announce their commits over
 * Node's real BroadcastChannel.
 */
class SharedStorage extends MemoryStorage {
  override readonly keepsLiveState = false;
  readonly sharedName = `tabs-test-${Math.random().toString(36).slice(2)}`;
}

const open: Database[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

async function tab(storage: SharedStorage): Promise<Database> {
  const db = await createDatabase({ name: 'tabs', storage });
  await db.defineType(workOrderType);
  open.push(db);
  return db;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

it('two tabs on one database see each other’s writes and merge concurrent edits', async () => {
  const storage = new SharedStorage();
  const a = await tab(storage);
  const b = await tab(storage);
  expect(a.replicaId).not.toBe(b.replicaId); // tabs never issue the same stamp

  const seenInB: number[] = [];
  b.collection('workOrders')
    .find({ status: 'open' })
    .subscribe((r) => seenInB.push(r.length));
  const id = await a.collection('workOrders').insert({ title: 'from A', status: 'open' });
  const stampOfInsert = a.clock.last!;
  await until(() => seenInB.at(-1) === 1, 'B to see A’s insert');
  expect(b.clock.last! >= stampOfInsert).toBe(true); // B's clock received A's stamp
  expect(b.collection('workOrders').findOne(id)!.title).toBe('from A');
  expect(await b.outbox.count()).toBe(1); // the shared outbox, mirrored

  // Concurrent edits of different fields in the two tabs: both survive in both tabs and on disk.
  const pa = a.collection('workOrders').update(id, { $set: { site: 'north' } });
  const pb = b.collection('workOrders').update(id, { $set: { priority: 4 } });
  await Promise.all([pa, pb]);
  await until(() => a.collection('workOrders').findOne(id)!.priority === 4, 'A to see B’s edit');
  await until(() => b.collection('workOrders').findOne(id)!.site === 'north', 'B to see A’s edit');
  await a.durable();
  await b.durable();

  await Promise.all(open.splice(0).map((db) => db.close()));
  const reopened = await tab(storage);
  expect(reopened.collection('workOrders').findOne(id)).toMatchObject({
    title: 'from A',
    site: 'north',
    priority: 4,
  });
  expect(await reopened.outbox.count()).toBe(3);
});
