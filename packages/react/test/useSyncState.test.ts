// @vitest-environment jsdom
import type { Database } from '@fieldsync/client';
import { createDatabase } from '@fieldsync/client';
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, expect, it } from 'vitest';
import { useQuery, useSyncState, useSyncStates, useWaiting } from '../src/index.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const type = {
  name: 'workOrders',
  version: 1,
  fields: { title: { type: 'string' as const, required: true } },
};

let db: Database;
afterEach(async () => {
  await db.close();
});

/** The outbox as the sync client drives it (ack / reject): the states follow, the hooks re-render. */
it('useSyncStates marks each row, useSyncState follows one document, useWaiting lists what waits', async () => {
  db = await createDatabase({ name: 'react-sync' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  await orders.insert({ id: 'a', title: 'Pump' });
  await orders.insert({ id: 'b', title: 'Valve' });

  let rowRenders = 0;
  function List() {
    const docs = useQuery(() => orders.find({}, { sort: { title: 1 } }), []);
    const sync = useSyncStates(db);
    rowRenders++;
    return createElement(
      'ul',
      null,
      ...docs.map((d) =>
        createElement('li', { key: d.id }, `${d.title as string}:${sync.of(d.id as string).status}`),
      ),
    );
  }
  function One() {
    const s = useSyncState(db, 'a');
    return createElement('p', null, s.status === 'pending' ? `pending ${s.pending}` : s.status);
  }
  function Waiting() {
    const w = useWaiting(db);
    return createElement('ol', null, ...w.map((x) => createElement('li', { key: x.id }, x.id)));
  }
  const host = document.createElement('div');
  const root = createRoot(host);
  await act(async () =>
    root.render(createElement('div', null, createElement(List), createElement(One), createElement(Waiting))),
  );
  const rows = () => [...host.querySelectorAll('ul li')].map((li) => li.textContent);
  const one = () => host.querySelector('p')!.textContent;
  const waiting = () => [...host.querySelectorAll('ol li')].map((li) => li.textContent);
  expect(rows()).toEqual(['Pump:pending', 'Valve:pending']);
  expect(one()).toBe('pending 1');
  expect(waiting()).toEqual(['a', 'b']);

  await act(async () => {
    await orders.update('a', { $set: { title: 'Pump 2' } });
  });
  expect(one()).toBe('pending 2');

  const pending = (await db.outbox.peek(10)) as Array<{ id: string; doc: string }>;
  const renders = rowRenders;
  await act(async () => {
    await db.outbox.ack(pending.filter((c) => c.doc === 'a').map((c) => c.id));
  });
  expect(rows()).toEqual(['Pump 2:synced', 'Valve:pending']);
  expect(rowRenders).toBe(renders + 1); // one render for the acknowledgement
  expect(one()).toBe('synced');
  expect(waiting()).toEqual(['b']);

  await act(async () => {
    await db.outbox.reject(pending.find((c) => c.doc === 'b')!.id, 'forbidden: closed');
  });
  expect(rows()).toEqual(['Pump 2:synced', 'Valve:rejected']);
  expect(waiting()).toEqual(['b']);
  await act(async () => root.unmount());
});
