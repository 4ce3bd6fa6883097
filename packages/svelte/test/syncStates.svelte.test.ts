import type { Database } from '@fieldsync/client';
import { createDatabase } from '@fieldsync/client';
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, expect, it } from 'vitest';
import SyncMarks from './SyncMarks.svelte';

const type = {
  name: 'workOrders',
  version: 1,
  fields: { title: { type: 'string' as const, required: true } },
};

let db: Database;
afterEach(async () => {
  await db.close();
});

it('syncStates marks rows and lists waiting documents, updating as the outbox is acknowledged', async () => {
  db = await createDatabase({ name: 'svelte-sync' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  await orders.insert({ id: 'a', title: 'Pump' });
  await orders.insert({ id: 'b', title: 'Valve' });

  const target = document.createElement('div');
  const component = mount(SyncMarks, { target, props: { db } });
  flushSync();
  const rows = () => [...target.querySelectorAll('ul li')].map((li) => li.textContent);
  const waiting = () => [...target.querySelectorAll('ol li')].map((li) => li.textContent);
  expect(rows()).toEqual(['Pump:pending', 'Valve:pending']);
  expect(waiting()).toEqual(['a', 'b']);
  expect(target.querySelector('p')!.textContent).toBe('2');

  const pending = (await db.outbox.peek(10)) as Array<{ id: string; doc: string }>;
  await db.outbox.ack(pending.filter((c) => c.doc === 'a').map((c) => c.id));
  await Promise.resolve();
  flushSync();
  expect(rows()).toEqual(['Pump:synced', 'Valve:pending']);
  expect(waiting()).toEqual(['b']);
  expect(target.querySelector('p')!.textContent).toBe('1');

  await db.outbox.reject(pending.find((c) => c.doc === 'b')!.id, 'forbidden: closed');
  await Promise.resolve();
  flushSync();
  expect(rows()).toEqual(['Pump:synced', 'Valve:rejected']);
  await unmount(component);
});
