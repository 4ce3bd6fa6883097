import type { Database } from '@fieldsync/client';
import { createDatabase } from '@fieldsync/client';
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, expect, it } from 'vitest';
import Orders from './Orders.svelte';

const type = {
  name: 'workOrders',
  version: 1,
  fields: {
    title: { type: 'string' as const, required: true },
    status: { type: 'enum' as const, values: ['open', 'done'] },
  },
};

let db: Database;
afterEach(async () => {
  await db.close();
});

it('liveQuery is $state-reactive, follows reactive inputs, and stops with the component', async () => {
  db = await createDatabase({ name: 'svelte' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  await orders.insert({ id: 'a', title: 'Pump', status: 'open' });
  await orders.insert({ id: 'b', title: 'Valve', status: 'done' });

  const target = document.createElement('div');
  const filter = $state({ status: 'open' });
  const component = mount(Orders, { target, props: { db, filter } });
  const items = () => [...target.querySelectorAll('li')].map((li) => li.textContent);
  flushSync();
  expect(items()).toEqual(['Pump']);
  expect(orders.live.size).toBe(1);

  await orders.insert({ id: 'c', title: 'Filter', status: 'open' });
  flushSync();
  expect(items()).toEqual(['Filter', 'Pump']);

  await orders.update('a', { $set: { status: 'done' } });
  flushSync();
  expect(items()).toEqual(['Filter']);

  filter.status = 'done';
  flushSync();
  expect(items()).toEqual(['Pump', 'Valve']);
  expect(orders.live.size).toBe(1); // the old query was stopped when the filter changed

  await unmount(component);
  expect(orders.live.size).toBe(0);
});

it('liveQuery runs the query once to mount: the subscription starts from the first render’s run', async () => {
  db = await createDatabase({ name: 'svelte-once' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  await orders.insert({ id: 'a', title: 'Pump', status: 'open' });
  await orders.insert({ id: 'b', title: 'Valve', status: 'done' });
  // Every query run reads each candidate through peek (no index: both documents per run).
  let reads = 0;
  const peek = orders.peek.bind(orders);
  orders.peek = (id) => {
    reads++;
    return peek(id);
  };

  const target = document.createElement('div');
  const filter = $state({ status: 'open' });
  const component = mount(Orders, { target, props: { db, filter } });
  flushSync();
  expect([...target.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Pump']);
  expect(reads).toBe(2);
  expect(orders.live.size).toBe(1);
  await unmount(component);
});
