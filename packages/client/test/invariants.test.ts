import type { DocState } from '@fieldsync/core';
import { docToJSON } from '@fieldsync/core';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/index.js';
import { createDatabase } from '../src/index.js';
import { workOrderType } from './fixtures.js';

/**
 * The invariants docs/internals.md lists under "Where the speed comes from", each pinned by a
 * test that fails when it is broken (the benchmarks only show the speed they buy). Others live
 * beside the code they pin: rowStore.test.ts (row copies, down to the stamps), outboxRefs.test.ts
 * (inserts held by reference), database.test.ts (`cursor.current()`), index.test.ts (`compileKey`),
 * core's change/applyChange.test.ts (a pure `applyChange`).
 */

async function open(): Promise<Database> {
  const db = await createDatabase({ name: 'invariants', replicaId: 'dev1' });
  await db.defineType(workOrderType);
  return db;
}

const json = (state: DocState | undefined): string => JSON.stringify(docToJSON(state as DocState));

describe('documents built on read', () => {
  it('a document read by id is frozen and keeps its identity while unchanged; a write gives a new one', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    const [a, b] = await orders.insertMany([
      { title: 'a', status: 'open' },
      { title: 'b', status: 'open' },
    ]);
    const first = orders.findOne(a as string);
    expect(Object.isFrozen(first)).toBe(true);
    expect(orders.docs.get(a as string)).toBe(first);
    await orders.update(b as string, { $set: { title: 'b2' } }); // another document: no effect
    expect(orders.findOne(a as string)).toBe(first);
    await orders.update(a as string, { $set: { title: 'a2' } });
    const second = orders.findOne(a as string);
    expect(second).not.toBe(first);
    expect(second?.title).toBe('a2');
    expect(Object.isFrozen(second)).toBe(true);
    expect(first?.title).toBe('a'); // what a reader held is left as it was
  });

  it('query candidates are built fresh for the caller, not cached: reading by id afterwards builds its own', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    await orders.insertMany([
      { id: 'x', title: 'x', status: 'open' },
      { id: 'y', title: 'y', status: 'done' },
    ]);
    const found = orders.find({ status: 'open' }).fetch();
    expect(found).toHaveLength(1);
    const candidate = found[0];
    expect(Object.isFrozen(candidate)).toBe(false);
    const byId = orders.findOne('x');
    expect(byId).not.toBe(candidate);
    expect(Object.isFrozen(byId)).toBe(true);
    // Once cached by id, a query hands out the cached (frozen, shared) object.
    expect(orders.find({ status: 'open' }).fetch()[0]).toBe(byId);
  });

  it('states.get of a plain row is a fresh copy: changing it changes nothing', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    await orders.insert({ id: 'p', title: 'plain', status: 'open', priority: 1 });
    const copy = orders.states.get('p') as DocState;
    expect(orders.states.get('p')).not.toBe(copy);
    const before = json(copy);
    copy.r.title = 'changed';
    copy.s = '0';
    expect(json(orders.states.get('p'))).toBe(before);
    expect(orders.findOne('p')?.title).toBe('plain');
  });
});

describe('the write path', () => {
  it('never modifies a stored state it replaces (text, counter, set, log included)', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    await orders.insert({ id: 'w', title: 'w', status: 'open', body: 'pump', tags: ['a'], notes: ['n1'] });
    const held = orders.states.get('w'); // a promoted document: the stored state object itself
    expect(orders.states.get('w')).toBe(held);
    const before = json(held);
    await orders.update('w', { $set: { status: 'done' }, $inc: { visits: 2 }, $addToSet: { tags: 'b' } });
    await orders.update('w', { $push: { notes: 'n2' } });
    await orders.text('w', 'body').insert(4, ' seal');
    expect(orders.findOne('w')?.body).toBe('pump seal');
    expect(json(held)).toBe(before);
  });

  it('a rolled-back transaction restores the very objects readers held, and queues nothing', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    await orders.insert({ id: 't', title: 't', status: 'open', body: 'x' });
    const doc = orders.findOne('t');
    const state = orders.states.get('t');
    const queued = await db.outbox.count();
    expect(() =>
      db.transaction(() => {
        void orders.update('t', { $set: { title: 'inside' } }).catch(() => undefined);
        void orders
          .text('t', 'body')
          .insert(0, 'y')
          .catch(() => undefined);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(orders.findOne('t')).toBe(doc);
    expect(orders.states.get('t')).toBe(state);
    expect(json(orders.states.get('t'))).toBe(json(state));
    expect(await db.outbox.count()).toBe(queued);
  });

  it('the outbox hands out what each write wrote, whatever the document became since', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    const [bulk] = await orders.insertMany([{ title: 'bulk', status: 'open', priority: 1 }]);
    await orders.insert({ id: 'one', title: 'one', status: 'open' });
    const written = (await db.outbox.peek(10)).map((c) => JSON.stringify(c));
    expect(written).toHaveLength(2);
    await orders.update(bulk as string, { $set: { title: 'bulk2', priority: 3 } });
    await orders.update('one', { $set: { title: 'one2' } });
    await orders.remove('one');
    const after = (await db.outbox.peek(10)).map((c) => JSON.stringify(c));
    expect(after.slice(0, 2)).toEqual(written);
    expect(after).toHaveLength(5);
  });
});
