import { docToJSON } from '@fieldsync/core';
import { describe, expect, it } from 'vitest';
import type { CommitBatch, Database, HashIndex, OrderedIndex, StorageAdapter } from '../src/index.js';
import { createDatabase, MemoryStorage } from '../src/index.js';
import { workOrderType } from './fixtures.js';

/**
 * Bulk inserts wait in the outbox as references to their rows (Outbox.pushRef). These tests pin
 * that what the outbox hands out is byte for byte the change that was built and persisted, even
 * after the document changed, merged, was evicted or the change was rejected.
 */

/** Serialized storage (no shared objects) that records every change it was given. */
class RecordingStorage extends MemoryStorage {
  override readonly keepsLiveState = false;
  readonly changes = new Map<string, string>();
  override async commit(batch: CommitBatch): Promise<void> {
    for (const c of batch.outboxAdd ?? []) this.changes.set(c.id, JSON.stringify(c.change));
    return super.commit(batch);
  }
}

async function open(storage: StorageAdapter, replicaId = 'dev1'): Promise<Database> {
  const db = await createDatabase({ name: 'refs', storage, replicaId });
  await db.defineType(workOrderType);
  return db;
}

const rows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    title: `t${from + i}`,
    status: 'open',
    priority: (from + i) % 5,
    ...(i % 3 === 0 ? { site: 's' } : {}),
  }));

async function pendingJson(db: Database): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of await db.outbox.peek(1e6)) out.set((c as { id: string }).id, JSON.stringify(c));
  return out;
}

describe('inserts held by reference in the outbox', () => {
  it('hand out exactly the persisted change, before and after the documents change', async () => {
    const storage = new RecordingStorage();
    const db = await open(storage);
    const orders = db.collection('workOrders');
    // Mixed field sets (several runs), a default-free plain insert, and one with a non-scalar value.
    const ids = await orders.insertMany([
      ...rows(30),
      { title: 'tagged', status: 'open', tags: ['a'] },
      ...rows(10, 30),
    ]);
    expect(await pendingJson(db)).toEqual(storage.changes);
    // In creation order (one replica's stamps only grow), across runs and the plain change between them.
    const order = [...(await pendingJson(db)).keys()];
    expect(order).toEqual([...storage.changes.keys()]);
    expect(order).toEqual([...order].sort());
    expect(await db.outbox.count()).toBe(41);
    await orders.update(ids[0]!, { $set: { title: 'changed', priority: 4 } });
    await orders.remove(ids[1]!);
    await orders.update(ids[2]!, { $inc: { visits: 1 } });
    const other = await open(new MemoryStorage(), 'dev2');
    await other.collection('workOrders').insertMany([{ id: ids[3]!, title: 'remote', status: 'done' }]);
    await db.applyRemote([docToJSON(other.collection('workOrders').states.get(ids[3]!)!)]);
    await db.evict([ids[4]!]);
    expect(orders.findOne(ids[0]!)!.title).toBe('changed');
    const pending = await pendingJson(db);
    for (const [id, json] of storage.changes) expect(pending.get(id)).toBe(json);
    expect(pending.size).toBe(storage.changes.size);
    expect([...pending.keys()]).toEqual([...storage.changes.keys()]);
    await db.outbox.ack([...pending.keys()].filter((_, i) => i % 2 === 0));
    expect(await db.outbox.count()).toBe(Math.floor(pending.size / 2));
    expect((await db.outbox.peek(1e6)).map((c) => (c as { id: string }).id)).toEqual(
      [...pending.keys()].filter((_, i) => i % 2 === 1),
    );
    await other.close();
    await db.close();
  });

  it('find an insert to release whether its run was stored at consecutive rows or in freed ones', async () => {
    const storage = new RecordingStorage();
    const db = await open(storage);
    const orders = db.collection('workOrders');
    // One field set: each insertMany is one run (mixed field sets would start a run per change of set).
    const uniform = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        title: `u${from + i}`,
        status: 'open',
        priority: (from + i) % 5,
      }));
    const first = await orders.insertMany(uniform(40, 0));
    // Evicted documents free their rows; the next bulk insert takes them (last freed first), then new ones.
    // Here rows 34, 33, 32, 31, 30, 40, 41…: a row read as a slot would point at the wrong insert.
    await db.evict(first.slice(30, 35));
    const second = await orders.insertMany(uniform(25, 100));
    for (const id of [...first.slice(0, 30), ...first.slice(35), ...second]) {
      await orders.update(id, { $set: { priority: 4 } });
    }
    const pending = await pendingJson(db);
    // 65 inserts (the 5 evicted ones released as they left) and 60 updates; each insert as persisted.
    expect(pending.size).toBe(65 + 60);
    for (const [id, json] of storage.changes) expect(pending.get(id)).toBe(json);
    await db.close();
  });

  it('a rejected or acknowledged insert leaves the outbox as a change; reopening memory storage restores the outbox', async () => {
    const storage = new MemoryStorage();
    const db = await open(storage);
    const orders = db.collection('workOrders');
    const ids = await orders.insertMany(rows(20));
    const before = await db.outbox.peek(1e6);
    const [first, second] = before as Array<{ id: string }>;
    await db.outbox.reject(first!.id, 'no');
    await db.outbox.ack([second!.id]);
    await orders.update(ids[5]!, { $set: { title: 'later' } });
    expect(db.rejectedChanges()).toEqual([{ id: first!.id, change: before[0], reason: 'no' }]);
    const outbox = await db.outbox.peek(1e6);
    expect(outbox.slice(0, 18)).toEqual(before.slice(2));
    await db.close();
    const again = await createDatabase({ name: 'refs', storage });
    expect(await again.outbox.peek(1e6)).toEqual(outbox);
    expect(again.rejectedChanges()).toEqual(db.rejectedChanges());
    expect(again.collection('workOrders').findOne(ids[5]!)!.title).toBe('later');
    await again.close();
  });

  it('a rolled-back transaction leaves neither documents nor outbox entries', async () => {
    const db = await open(new MemoryStorage());
    const orders = db.collection('workOrders');
    await orders.insertMany(rows(5));
    const outbox = await db.outbox.peek(1e6);
    expect(() =>
      db.transaction(() => {
        void orders.insertMany(rows(5, 100)).catch(() => undefined);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(orders.find({}).count()).toBe(5);
    expect(await db.outbox.peek(1e6)).toEqual(outbox);
    await db.close();
  });

  it('a bulk insert failing part way undoes what it applied: no document, index entry, outbox entry, commit or notification', async () => {
    const storage = new RecordingStorage();
    const db = await open(storage);
    const orders = db.collection('workOrders');
    orders.createIndex('status');
    orders.createIndex('priority', { kind: 'ordered' });
    await orders.insertMany(rows(3));
    const calls: number[] = [];
    orders.find({ status: 'open' }).subscribe((r) => calls.push(r.length));
    const before = { outbox: await db.outbox.peek(1e6), commits: storage.changes.size, calls: calls.length };
    const bad = [...rows(2000, 10), { title: 'bad', status: 'nope' }];
    await expect(orders.insertMany(bad)).rejects.toThrow(/status/);
    const dup = [
      ...rows(1500, 5000),
      { id: 'dupdupdupdupdupdupdup1', title: 'a', status: 'open' },
      { id: 'dupdupdupdupdupdupdup1', title: 'b', status: 'open' },
    ];
    await expect(orders.insertMany(dup)).rejects.toThrow(/same id twice/);
    const existing = orders.find({}).fetch()[1]!.id;
    await expect(
      orders.insertMany([...rows(1200, 9000), { id: existing, title: 'again', status: 'open' }]),
    ).rejects.toThrow(/already exists/);
    await db.durable();
    expect(orders.find({}).count()).toBe(3);
    const [hash, ordered] = orders.indexes as [HashIndex, OrderedIndex];
    expect(hash.lookup(['open'])?.size).toBe(3);
    expect(ordered.size).toBe(3);
    expect(await db.outbox.peek(1e6)).toEqual(before.outbox);
    expect(storage.changes.size).toBe(before.commits);
    expect(calls.length).toBe(before.calls);
    // In a transaction the failed insert changes nothing and the transaction goes on.
    await db.transaction(() => {
      void orders
        .insertMany([
          { title: 'x', status: 'open' },
          { title: 'y', status: 'nope' },
        ])
        .catch(() => undefined);
      void orders
        .insertMany([
          { title: 'x2', status: 'open' },
          { id: existing, title: 'again', status: 'open' },
        ])
        .catch(() => undefined);
      void orders.insertMany([{ title: 'z', status: 'done' }]);
    });
    expect(
      orders
        .find({})
        .fetch()
        .map((d) => d.title)
        .sort(),
    ).toEqual(['t0', 't1', 't2', 'z']);
    expect(calls.length).toBe(before.calls);
    await db.close();
  });
});
