// @vitest-environment jsdom
import type { Database, Doc } from '@fieldsync/client';
import { createDatabase } from '@fieldsync/client';
import { act, createElement, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, expect, it } from 'vitest';
import { useQuery } from '../src/index.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

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

it('useQuery renders live results, re-renders on change only, and stops on unmount', async () => {
  db = await createDatabase({ name: 'react' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  await orders.insert({ id: 'a', title: 'Pump', status: 'open' });
  await orders.insert({ id: 'b', title: 'Valve', status: 'done' });

  let renders = 0;
  let setStatus: (s: string) => void = () => {};
  function List() {
    const [status, set] = useState('open');
    setStatus = set;
    const docs: readonly Doc[] = useQuery(() => orders.find({ status }, { sort: { title: 1 } }), [status]);
    renders++;
    return createElement(
      'ul',
      null,
      ...docs.map((d) => createElement('li', { key: d.id }, d.title as string)),
    );
  }

  const host = document.createElement('div');
  const root = createRoot(host);
  await act(async () => root.render(createElement(List)));
  const items = () => [...host.querySelectorAll('li')].map((li) => li.textContent);
  expect(items()).toEqual(['Pump']);
  const afterMount = renders;

  await act(async () => {
    await orders.insert({ id: 'c', title: 'Filter', status: 'open' });
  });
  expect(items()).toEqual(['Filter', 'Pump']);

  // A write the query does not see causes no render.
  const before = renders;
  await act(async () => {
    await orders.update('b', { $set: { title: 'Valve 2' } });
  });
  expect(renders).toBe(before);
  expect(renders).toBeGreaterThan(afterMount);

  await act(async () => setStatus('done'));
  expect(items()).toEqual(['Valve 2']);

  expect(orders.live.size).toBe(1);
  await act(async () => root.unmount());
  expect(orders.live.size).toBe(0);
});

it('useQuery runs the query once to mount: the subscription starts from the first render’s run', async () => {
  db = await createDatabase({ name: 'react-once' });
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

  let renders = 0;
  function List() {
    const docs = useQuery(() => orders.find({ status: 'open' }), []);
    renders++;
    return createElement(
      'ul',
      null,
      ...docs.map((d) => createElement('li', { key: d.id }, d.title as string)),
    );
  }
  const host = document.createElement('div');
  const root = createRoot(host);
  await act(async () => root.render(createElement(List)));
  expect([...host.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Pump']);
  expect(reads).toBe(2);
  expect(renders).toBe(1);
  expect(orders.live.size).toBe(1);
  await act(async () => root.unmount());
});
