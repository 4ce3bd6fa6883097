import { docToJSON, SchemaError, typeHash, ValidationError } from '@fieldsync/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommitBatch, Database, Doc, ResultChange, StorageAdapter } from '../src/index.js';
import { createDatabase, MemoryStorage, ModifierError, NotFoundError, QueryError } from '../src/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { workOrderType } from './fixtures.js';

/** MemoryStorage that counts commits, to prove that rejected input never reaches storage. */
class CountingStorage extends MemoryStorage {
  commits: CommitBatch[] = [];
  override async commit(batch: CommitBatch): Promise<void> {
    this.commits.push(batch);
    return super.commit(batch);
  }
}

async function open(storage: StorageAdapter = new CountingStorage(), replicaId = 'dev1'): Promise<Database> {
  const db = await createDatabase({ name: 'test', storage, replicaId });
  await db.defineType(workOrderType);
  return db;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('collections', () => {
  it('insert, update with every modifier, find, remove', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    const id = await orders.insert({
      title: 'Fix pump',
      status: 'open',
      priority: 2,
      tags: ['a'],
      address: { city: 'Oslo' },
    });
    await orders.update(id, {
      $set: { 'address.zip': '0150', status: 'assigned' },
      $unset: { priority: 1 },
      $inc: { visits: 3 },
      $push: { notes: 'called' },
      $addToSet: { tags: { $each: ['b', 'c'] } },
    });
    await orders.update(id, { $pull: { tags: 'a' }, $inc: { visits: -1 } });
    const doc = orders.findOne(id)!;
    expect(doc).toMatchObject({
      id,
      title: 'Fix pump',
      status: 'assigned',
      visits: 2,
      address: { city: 'Oslo', zip: '0150' },
    });
    expect(doc.priority).toBeUndefined();
    expect([...(doc.tags as string[])].sort()).toEqual(['b', 'c']);
    expect((doc.notes as Array<{ value: string }>).map((n) => n.value)).toEqual(['called']);
    expect(orders.find({ status: 'assigned' }).count()).toBe(1);
    expect(orders.findOne({ 'address.city': 'Oslo' })?.id).toBe(id);
    await orders.remove(id);
    expect(orders.findOne(id)).toBeUndefined();
    await expect(orders.update(id, { $set: { title: 'x' } })).rejects.toBeInstanceOf(NotFoundError);
    expect(await db.outbox.count()).toBe(4);
    // Every change carries the hash of the definition it was written under (the server translates by it).
    const queued = (await db.outbox.peek(10)) as Array<{ th?: string }>;
    expect(queued.map((c) => c.th)).toEqual(queued.map(() => typeHash(db.typeOf('workOrders'))));
    await db.close();
  });

  it('explain() names the index the planner chose and the work done', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    await orders.insertMany(
      Array.from({ length: 400 }, (_, i) => ({
        title: `t${i}`,
        status: i % 2 ? 'open' : 'done',
        site: `s${i % 20}`,
        updatedAt: i,
        priority: i % 5,
      })),
    );
    expect(orders.find({ status: 'open', site: 's3' }).explain()).toMatchObject({
      plan: 'scan',
      index: null,
      examined: 400,
      returned: 20,
    });
    orders.createIndex(['status', 'site']);
    orders.createIndex('updatedAt', { kind: 'ordered' });
    expect(orders.find({ status: 'open', site: 's3' }).explain()).toMatchObject({
      plan: 'hash',
      index: 'hash:status+site',
      examined: 20,
      returned: 20,
    });
    const top = orders.find({ priority: { $gte: 3 } }, { sort: { updatedAt: -1 }, limit: 5 });
    expect(top.explain()).toMatchObject({
      plan: 'ordered',
      index: 'ordered:updatedAt',
      sortedByIndex: true,
      returned: 5,
    });
    expect(top.explain().examined).toBeLessThan(20);
    expect(top.fetch().map((d) => d.updatedAt)).toEqual([399, 398, 394, 393, 389]);
  });

  it('redefining an identical type is a no-op; a changed type re-materializes', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    const id = await orders.insert({ title: 'x', status: 'open' });
    const doc = orders.findOne(id);
    await db.defineType(structuredClone(workOrderType));
    expect(orders.findOne(id)).toBe(doc);
    // A new version is a migration of the previous one (core validates the steps against the fields).
    await db.defineType({
      ...workOrderType,
      version: 2,
      fields: { ...workOrderType.fields, crew: { type: 'string', default: 'none' } },
      migrations: [{ op: 'addField', field: 'crew', def: { type: 'string', default: 'none' } }],
    });
    expect(orders.findOne(id)!.crew).toBe('none');
  });

  it('keeps superseded values of concurrent writes visible through conflicts()', async () => {
    const a = await open(new MemoryStorage(), 'devA');
    const b = await open(new MemoryStorage(), 'devB');
    const id = await a.collection('workOrders').insert({ title: 'x', status: 'open' });
    await b.applyRemote([docToJSON(a.collection('workOrders').states.get(id)!)]);
    await a.collection('workOrders').update(id, { $set: { title: 'from A' } });
    await b.collection('workOrders').update(id, { $set: { title: 'from B' } });
    await a.applyRemote([docToJSON(b.collection('workOrders').states.get(id)!)]);
    await b.applyRemote([docToJSON(a.collection('workOrders').states.get(id)!)]);
    const winner = a.collection('workOrders').findOne(id)!.title;
    expect(b.collection('workOrders').findOne(id)!.title).toBe(winner);
    const lost = a
      .collection('workOrders')
      .conflicts(id, 'title')
      .map((s) => s.value);
    expect(lost).toContain(winner === 'from A' ? 'from B' : 'from A');
    // Remote merges are not re-queued: A's outbox holds only A's two writes.
    expect(await a.outbox.count()).toBe(2);
  });
});

describe('bad input: typed error, nothing written, no notification', () => {
  async function setup() {
    const storage = new CountingStorage();
    const db = await open(storage);
    const orders = db.collection('workOrders');
    const id = await orders.insert({ title: 'a', status: 'open', priority: 1 });
    const calls: number[] = [];
    orders.find({}).subscribe((r) => calls.push(r.length));
    const before = {
      commits: storage.commits.length,
      outbox: await db.outbox.count(),
      doc: orders.findOne(id),
      calls: calls.length,
    };
    const unchanged = async () => {
      await Promise.resolve();
      await db.durable();
      expect(storage.commits.length).toBe(before.commits);
      expect(await db.outbox.count()).toBe(before.outbox);
      expect(orders.findOne(id)).toBe(before.doc);
      expect(calls.length).toBe(before.calls);
    };
    return { db, orders, id, unchanged };
  }

  it('unknown query operator → QueryError naming it', async () => {
    const { orders, unchanged } = await setup();
    expect(() => orders.find({ status: { $almost: 'open' } })).toThrow(QueryError);
    expect(() => orders.find({ status: { $almost: 'open' } })).toThrow(
      /status\.\$almost: unknown operator \$almost/,
    );
    await unchanged();
  });

  it('malformed modifier → ModifierError naming it', async () => {
    const { orders, id, unchanged } = await setup();
    await expect(orders.update(id, { $set: { title: 'b' }, $rename: { title: 'x' } })).rejects.toThrow(
      ModifierError,
    );
    await expect(orders.update(id, { $inc: { title: 1 } })).rejects.toThrow(/\$inc\.title/);
    await unchanged();
  });

  it('write violating the type → ValidationError naming the field', async () => {
    const { orders, id, unchanged } = await setup();
    const err = await orders.update(id, { $set: { status: 'bogus' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).path).toBe('status');
    await expect(orders.insert({ status: 'open' })).rejects.toThrow(ValidationError); // title required
    await expect(
      orders.insertMany([
        { title: 'ok', status: 'open' },
        { title: 'bad', status: 'nope' },
      ]),
    ).rejects.toThrow(ValidationError);
    expect(orders.find({ title: 'ok' }).count()).toBe(0);
    await unchanged();
  });

  it('writes to a collection without a type → SchemaError', async () => {
    const { db } = await setup();
    await expect(db.collection('nope').insert({ a: 1 })).rejects.toBeInstanceOf(SchemaError);
  });
});

describe('notifications', () => {
  it('a transaction notifies once and rolls back entirely when it throws', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    const seen: Array<{ n: number; changes: readonly ResultChange[] }> = [];
    orders
      .find({ status: 'open' }, { sort: { priority: 1 } })
      .subscribe((r, changes) => seen.push({ n: r.length, changes }));
    await db.transaction(() => {
      void orders.insert({ id: 'a1', title: 'a', status: 'open', priority: 2 });
      void orders.insert({ id: 'a2', title: 'b', status: 'open', priority: 1 });
    });
    expect(seen.map((s) => s.n)).toEqual([0, 2]);
    expect(seen[1]!.changes).toEqual([
      { type: 'added', doc: orders.findOne('a2'), index: 0 },
      { type: 'added', doc: orders.findOne('a1'), index: 1 },
    ]);
    const outbox = await db.outbox.count();
    const inner: Array<Promise<unknown>> = [];
    expect(() =>
      db.transaction(() => {
        inner.push(orders.update('a1', { $set: { priority: 9 } }));
        inner.push(orders.insert({ id: 'a3', title: 'c', status: 'open' }));
        throw new Error('abort');
      }),
    ).toThrow('abort');
    // The aborted writes' own promises reject: they were never written.
    expect((await Promise.allSettled(inner)).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(orders.findOne('a1')!.priority).toBe(2);
    expect(orders.findOne('a3')).toBeUndefined();
    expect(await db.outbox.count()).toBe(outbox);
    expect(seen).toHaveLength(2);
    await db.close();
  });

  it('writes made inside a listener take the same path (outbox, storage, notification)', async () => {
    const storage = new CountingStorage();
    const db = await open(storage);
    const orders = db.collection('workOrders');
    const done: Doc[][] = [];
    orders.find({ status: 'open' }).subscribe((results) => {
      for (const d of results) if (d.priority === 5) void orders.update(d.id, { $set: { status: 'done' } });
    });
    orders.find({ status: 'done' }).subscribe((r) => done.push([...r]));
    const id = await orders.insert({ title: 'urgent', status: 'open', priority: 5 });
    await db.durable();
    expect(orders.findOne(id)!.status).toBe('done');
    expect(done.at(-1)!.map((d) => d.id)).toEqual([id]);
    expect(await db.outbox.count()).toBe(2);
    await db.close();
    const reopened = await open(storage);
    expect(reopened.collection('workOrders').findOne(id)!.status).toBe('done');
  });
});

describe('reopen restores documents, outbox and clock exactly', () => {
  async function roundTrip(makeStorage: () => StorageAdapter) {
    const db = await open(makeStorage());
    const orders = db.collection('workOrders');
    const ids = await orders.insertMany(
      Array.from({ length: 50 }, (_, i) => ({ title: `t${i}`, status: 'open', priority: i % 5 })),
    );
    await orders.update(ids[0]!, { $inc: { visits: 2 }, $addToSet: { tags: 'x' } });
    await orders.remove(ids[1]!);
    const pending = await db.outbox.peek(1000);
    await db.outbox.ack([(pending[0] as { id: string }).id]);
    await db.outbox.reject((pending[1] as { id: string }).id, 'forbidden');
    await db.setMeta('cursor', '42');
    const snapshot = {
      docs: orders.find({}).fetch(),
      outbox: await db.outbox.peek(1000),
      rejected: db.rejectedChanges(),
      clock: db.clock.last,
      replicaId: db.replicaId,
    };
    await db.close();
    const again = await createDatabase({ name: 'test', storage: makeStorage() });
    expect(again.collection('workOrders').find({}).fetch()).toEqual(snapshot.docs);
    expect(await again.outbox.peek(1000)).toEqual(snapshot.outbox);
    expect(again.rejectedChanges()).toEqual(snapshot.rejected);
    expect(again.clock.last).toBe(snapshot.clock);
    expect(again.replicaId).toBe(snapshot.replicaId);
    expect(await again.getMeta('cursor')).toBe('42');
    // The restored clock continues after the last stamp.
    await again.collection('workOrders').insert({ title: 'next', status: 'open' });
    expect(again.clock.last! > snapshot.clock!).toBe(true);
    await again.close();
  }

  it('with memory storage', async () => {
    const storage = new MemoryStorage();
    await roundTrip(() => storage);
  });

  it('with a SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldsync-'));
    dirs.push(dir);
    await roundTrip(() => new SqliteStorage(join(dir, 'db.sqlite')));
  });
});

describe('SyncHost', () => {
  it('applyRemote moves the clock past remote stamps: later local edits are stamped after them', async () => {
    const ahead = await createDatabase({
      name: 'a',
      storage: new MemoryStorage(),
      replicaId: 'ahead',
      now: () => Date.now() + 60_000,
    });
    await ahead.defineType(workOrderType);
    const b = await open(new MemoryStorage(), 'devB');
    const id = await ahead.collection('workOrders').insert({ title: 'from a fast clock', status: 'open' });
    await b.applyRemote([docToJSON(ahead.collection('workOrders').states.get(id)!)]);
    expect(b.clock.last! >= ahead.clock.last!).toBe(true);
    await b.collection('workOrders').update(id, { $set: { title: 'edited later' } });
    expect(b.clock.last! > ahead.clock.last!).toBe(true);
    await ahead.applyRemote([docToJSON(b.collection('workOrders').states.get(id)!)]);
    expect(ahead.collection('workOrders').findOne(id)!.title).toBe('edited later');
  });

  it('a remote stamp beyond the drift bound is merged, but not adopted by the clock (docs/crdt.md)', async () => {
    const future = await createDatabase({
      name: 'f',
      storage: new MemoryStorage(),
      replicaId: 'future',
      now: () => Date.now() + 3_600_000, // an hour ahead: beyond the 5-minute bound
    });
    await future.defineType(workOrderType);
    const b = await open(new MemoryStorage(), 'devB');
    const id = await future.collection('workOrders').insert({ title: 'from the future', status: 'open' });
    const before = b.clock.last;
    await b.applyRemote([docToJSON(future.collection('workOrders').states.get(id)!)]);
    expect(b.collection('workOrders').findOne(id)!.title).toBe('from the future');
    expect(b.clock.last).toBe(before);
    // Overwriting that value would need a stamp past it: refused until the clocks agree.
    await expect(b.collection('workOrders').update(id, { $set: { title: 'x' } })).rejects.toMatchObject({
      code: 'clock_drift',
    });
    expect(b.collection('workOrders').findOne(id)!.title).toBe('from the future');
  });

  it('applyTypes adopts newer types only; outbox listeners hear once per tick', async () => {
    const db = await open();
    const crew = { type: 'string' as const, default: 'unassigned' };
    const v2 = {
      ...workOrderType,
      version: 2,
      fields: { ...workOrderType.fields, crew },
      migrations: [{ op: 'addField' as const, field: 'crew', def: crew }],
    };
    const id = await db.collection('workOrders').insert({ title: 'x', status: 'open' });
    await db.applyTypes([v2]);
    expect(db.collection('workOrders').findOne(id)!.crew).toBe('unassigned');
    await db.applyTypes([workOrderType]); // older: ignored
    expect(db.typeOf('workOrders').version).toBe(2);
    await expect(
      db.applyTypes([{ name: 'bad', version: 1, fields: { a: { type: 'nope' } } }]),
    ).rejects.toThrow(SchemaError);
    let heard = 0;
    db.outbox.onChange(() => heard++);
    await db
      .collection('workOrders')
      .insertMany(Array.from({ length: 50 }, (_, i) => ({ title: `t${i}`, status: 'open' })));
    expect(heard).toBe(1);
  });

  it('applyRemote merges without queuing, evict forgets, both notify and persist', async () => {
    const storage = new MemoryStorage();
    const a = await open(new MemoryStorage(), 'devA');
    const b = await open(storage, 'devB');
    const id = await a.collection('workOrders').insert({ title: 'remote', status: 'open' });
    const seen: number[] = [];
    b.collection('workOrders')
      .find({ status: 'open' })
      .subscribe((r) => seen.push(r.length));
    await b.applyRemote([docToJSON(a.collection('workOrders').states.get(id)!)]);
    expect(seen).toEqual([0, 1]);
    expect(await b.outbox.count()).toBe(0);
    await expect(b.applyRemote([{ id: 'bad id!', type: 'workOrders', v: 1, fields: {} }])).rejects.toThrow(
      ValidationError,
    );
    await b.evict([id]);
    expect(seen).toEqual([0, 1, 0]);
    await b.close();
    const reopened = await open(storage, 'devB');
    expect(reopened.collection('workOrders').findOne(id)).toBeUndefined();
  });
});

describe('text fields', () => {
  it('edits go through the outbox and concurrent edits merge character-wise', async () => {
    const a = await open(new MemoryStorage(), 'devA');
    const b = await open(new MemoryStorage(), 'devB');
    const id = await a.collection('workOrders').insert({ title: 't', status: 'open', body: 'Pump leaks.' });
    await b.applyRemote([docToJSON(a.collection('workOrders').states.get(id)!)]);
    const seen: string[] = [];
    a.collection('workOrders')
      .find({})
      .subscribe((r) => seen.push(r[0]!.body as string));
    await a.collection('workOrders').text(id, 'body').insert(0, 'Urgent: ');
    await b.collection('workOrders').text(id, 'body').insert(11, ' Part ordered.');
    await b.collection('workOrders').text(id, 'body').delete(0, 1);
    expect(seen.at(-1)).toBe('Urgent: Pump leaks.');
    expect(await a.outbox.count()).toBe(2);
    await a.applyRemote([docToJSON(b.collection('workOrders').states.get(id)!)]);
    await b.applyRemote([docToJSON(a.collection('workOrders').states.get(id)!)]);
    const expected = 'Urgent: ump leaks. Part ordered.';
    expect(a.collection('workOrders').text(id, 'body').toString()).toBe(expected);
    expect(b.collection('workOrders').findOne(id)!.body).toBe(expected);
    // A bad range or a non-text field: typed error, nothing written.
    await expect(a.collection('workOrders').text(id, 'body').delete(500, 2)).rejects.toThrow();
    expect(() => a.collection('workOrders').text(id, 'title')).toThrow(ModifierError);
    expect(await a.outbox.count()).toBe(2);
  });
});

describe('cursor.current()', () => {
  it('runs the query once for current() and a subscribe that follows it; a write in between re-runs it', async () => {
    const db = await open();
    const orders = db.collection('workOrders');
    await orders.insertMany([
      { id: 'a', title: 'A', status: 'open', priority: 2 },
      { id: 'b', title: 'B', status: 'open', priority: 1 },
      { id: 'c', title: 'C', status: 'done', priority: 3 },
    ]);
    // Every query run reads its candidates through peek (no index here: all three documents).
    let reads = 0;
    const peek = orders.peek.bind(orders);
    orders.peek = (id) => {
      reads++;
      return peek(id);
    };

    const cursor = orders.find({ status: 'open' }, { sort: { priority: 1 } });
    const first = cursor.current();
    expect(first.map((d) => d.id)).toEqual(['b', 'a']);
    expect(Object.isFrozen(first) && first.every((d) => Object.isFrozen(d))).toBe(true);
    expect(reads).toBe(3);
    const seen: Array<readonly Doc[]> = [];
    const stop = cursor.subscribe((r) => seen.push(r));
    expect(reads).toBe(3); // started from the run current() made
    expect(seen[0]).toBe(first);
    expect(cursor.current()).toBe(first); // live: its results, nothing run
    await orders.update('a', { $set: { priority: 0 } });
    expect(cursor.current().map((d) => d.id)).toEqual(['a', 'b']);
    expect(seen.map((r) => r.map((d) => d.id))).toEqual([
      ['b', 'a'],
      ['a', 'b'],
    ]);
    expect(reads).toBe(3);
    stop();

    // A write between current() and subscribe: the live query runs again and sees it.
    const later = orders.find({ status: 'open' }, { sort: { priority: 1 } });
    later.current();
    await orders.update('c', { $set: { status: 'open' } });
    const got: string[][] = [];
    later.subscribe((r) => got.push(r.map((d) => d.id)))();
    expect(got).toEqual([['a', 'b', 'c']]);
    expect(reads).toBe(9);
    await db.close();
  });
});
