import { docToJSON } from '@fieldsync/core';
import fc from 'fast-check';
import { fcParams } from '../../../testing/fcSeed.js';
import { describe, expect, it } from 'vitest';
import type { CommitBatch, Database } from '../src/index.js';
import { batchDocs, createDatabase, MemoryStorage, rowsToDocs } from '../src/index.js';
import { decodeBatch, encodeBatch } from '../src/storage/batchCodec.js';
import { workOrderType } from './fixtures.js';
import { canonicalState, LogStorage } from './logStorage.js';

/**
 * Documents stored by column (`CommitBatch.rows`, issue 15): what the row store exports stands
 * for exactly the states it holds, the commit record encodes rows and their inserts by number,
 * and a database reopened from such records is the one that wrote them.
 */

/** Everything a reopened database must restore: states (canonical bytes), outbox, rejections, clock. */
async function snapshot(db: Database): Promise<unknown> {
  const orders = db.collection('workOrders');
  const states: Record<string, string> = {};
  for (const [id, state] of orders.states) states[id] = canonicalState(docToJSON(state));
  return {
    states,
    outbox: JSON.parse(JSON.stringify(await db.outbox.peek(1e6))) as unknown,
    // In rejection order while open, in id order once reopened (as with every adapter): a set.
    rejected: JSON.parse(
      JSON.stringify(db.rejectedChanges().sort((a, b) => (a.id < b.id ? -1 : 1))),
    ) as unknown,
    clock: db.clock.last,
    cursor: await db.getMeta('cursor'),
  };
}

const record = (i: number, fields: number) => ({
  title: `t${i}`,
  status: 'open',
  ...(fields & 1 ? { priority: i % 5 } : {}),
  ...(fields & 2 ? { site: `s${i % 3}` } : {}),
  ...(fields & 4 ? { updatedAt: 1_700_000_000_000 + i } : {}),
});

describe('stored rows', () => {
  it('a bulk load is one R group and its inserts row numbers, and decodes to its documents and changes', async () => {
    const storage = new LogStorage();
    const db = await createDatabase({ name: 'rows', storage, replicaId: 'rows' });
    await db.defineType(workOrderType);
    const orders = db.collection('workOrders');
    const ids = await orders.insertMany(Array.from({ length: 40 }, (_, i) => record(i, 7)));
    const batch = storage.batches.at(-1) as CommitBatch;
    expect(batch.docs).toBeUndefined();
    expect(batch.rows?.map((r) => r.ids.length)).toEqual([40]);
    const text = encodeBatch(batch);
    const encoded = JSON.parse(text) as {
      f: number;
      R?: unknown[];
      I?: unknown[][];
      o?: unknown;
      O?: unknown;
    };
    expect(encoded.f).toBe(2);
    expect(encoded.I?.[0]?.slice(2)).toEqual(ids.map((_, i) => i)); // every insert by its row number
    expect(encoded.o ?? encoded.O).toBeUndefined();
    // The same documents and changes as the objects they stand for.
    const decoded = decodeBatch(text);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(decoded.docs?.sort(byId)).toEqual(
      ids
        .map((id) => ({ collection: 'workOrders', id, state: docToJSON(orders.states.get(id)!) }))
        .sort(byId),
    );
    expect(decoded.outboxAdd).toEqual(JSON.parse(JSON.stringify(batch.outboxAdd)));
    await db.close();
  });

  it('stores whole what a row cannot stand for, and inserts a later write changed with their values', async () => {
    const storage = new LogStorage();
    const db = await createDatabase({ name: 'rows', storage, replicaId: 'rows' });
    await db.defineType(workOrderType);
    const orders = db.collection('workOrders');
    // One tick: a bulk insert with three field sets, then writes to three of its documents.
    const loading = orders.insertMany(
      Array.from({ length: 12 }, (_, i) => record(i, i % 3 === 0 ? 7 : i % 3)),
    );
    const ids = orders
      .find({}, { sort: { title: 1 } })
      .fetch()
      .map((d) => d.id as string);
    const t0 = ids.find((id) => orders.findOne(id)?.['title'] === 't0')!;
    const t1 = ids.find((id) => orders.findOne(id)?.['title'] === 't1')!;
    const t2 = ids.find((id) => orders.findOne(id)?.['title'] === 't2')!;
    const writes = [
      orders.update(t0, { $set: { title: 'changed' } }), // registers at two stamps
      orders.update(t1, { $inc: { visits: 1 } }), // a counter: promoted
      orders.remove(t2), // a tombstone
    ];
    await Promise.all([loading, ...writes]);
    const batch = storage.batches.at(-1) as CommitBatch;
    expect(batch.docs?.map((d) => d.id).sort()).toEqual([t0, t1, t2].sort());
    expect(batch.rows?.map((r) => r.names.length).sort()).toEqual([3, 3, 5]); // title+status(+priority|site), all
    const encoded = JSON.parse(encodeBatch(batch)) as { I: unknown[][]; o: unknown[][] };
    // Nine inserts by row number; the three whose documents changed keep their own values.
    expect(encoded.I.reduce((n, g) => n + g.length - 2, 0)).toBe(9);
    const inserts = encoded.o.filter((g) => (g[3] as string[])[0] !== '$deleted'); // the removal is plain too
    expect(
      inserts.flatMap((g) => g.filter((_, k) => k > 4 && (k - 4) % (2 + (g[3] as string[]).length) === 1)),
    ).toEqual([t0, t1, t2]);
    const decoded = decodeBatch(encodeBatch(batch));
    const want = batchDocs(batch).map((d): [string, string] => [d.id, canonicalState(d.state)]);
    expect(new Map(decoded.docs?.map((d): [string, string] => [d.id, canonicalState(d.state)]))).toEqual(
      new Map(want),
    );
    expect(decoded.outboxAdd).toEqual(JSON.parse(JSON.stringify(batch.outboxAdd)));
    await db.close();
  });

  it('refuses a record whose inserts name rows it lacks', () => {
    const rows = [['c', 'c', 1, ['a'], ['x'], ['s'], [1]]];
    expect(() => decodeBatch(JSON.stringify({ f: 2, R: rows, I: [[1, 'th', 0]] }))).toThrow(/lacks/);
    expect(() => decodeBatch(JSON.stringify({ f: 2, R: rows, I: [[0, 'th', 3]] }))).toThrow(/lacks/);
    expect(() => decodeBatch(JSON.stringify({ f: 2, R: [['c', 'c', 1, ['a'], ['x'], [], [1]]] }))).toThrow(
      /damaged/,
    );
  });

  it('rowsToDocs builds docToJSON form', () => {
    const docs = rowsToDocs([
      {
        collection: 'c',
        type: 'c',
        v: 2,
        names: ['a', 'b'],
        ids: ['x', 'y'],
        stamps: ['s1', 's2'],
        values: [1, 'u', 2, null],
      },
    ]);
    expect(docs).toEqual([
      {
        collection: 'c',
        id: 'x',
        state: { id: 'x', type: 'c', v: 2, fields: { a: { v: 1, s: 's1' }, b: { v: 'u', s: 's1' } } },
      },
      {
        collection: 'c',
        id: 'y',
        state: { id: 'y', type: 'c', v: 2, fields: { a: { v: 2, s: 's2' }, b: { v: null, s: 's2' } } },
      },
    ]);
  });

  // Random workloads written through the log of encoded records, then reopened from it: the
  // reopened database equals the one that wrote it, and equals the same workload on memory storage.
  type Op =
    | { k: 'bulk'; n: number; fields: number }
    | { k: 'set'; at: number; title: string }
    | { k: 'unset'; at: number }
    | { k: 'inc'; at: number }
    | { k: 'remove'; at: number }
    | { k: 'ack'; n: number }
    | { k: 'reject'; at: number }
    | { k: 'cursor'; value: string }
    | { k: 'tick' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      k: fc.constant('bulk' as const),
      n: fc.integer({ min: 1, max: 30 }),
      fields: fc.integer({ min: 0, max: 7 }),
    }),
    fc.record({ k: fc.constant('set' as const), at: fc.nat(), title: fc.string({ maxLength: 4 }) }),
    fc.record({ k: fc.constant('unset' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('inc' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('remove' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('ack' as const), n: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ k: fc.constant('reject' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('cursor' as const), value: fc.nat().map(String) }),
    fc.constant({ k: 'tick' as const }),
  );

  async function run(db: Database, ops: Op[]): Promise<void> {
    await db.defineType(workOrderType);
    const orders = db.collection('workOrders');
    let pending: Array<Promise<unknown>> = [];
    let i = 0;
    const pick = (at: number): string | undefined => {
      const live = [...orders.docs.keys()].sort();
      return live[at % Math.max(1, live.length)];
    };
    for (const o of ops) {
      // Writes between ticks share a batch, as writes made in one tick of an app do.
      if (o.k === 'bulk')
        pending.push(
          orders.insertMany(Array.from({ length: o.n }, () => ({ id: `d${i}`, ...record(i++, o.fields) }))),
        );
      else if (o.k === 'set' || o.k === 'unset' || o.k === 'inc' || o.k === 'remove') {
        const id = pick(o.at);
        if (id === undefined) continue;
        if (o.k === 'set') pending.push(orders.update(id, { $set: { title: o.title } }));
        else if (o.k === 'unset') pending.push(orders.update(id, { $unset: { site: true } }));
        else if (o.k === 'inc') pending.push(orders.update(id, { $inc: { visits: 1 } }));
        else pending.push(orders.remove(id));
      } else if (o.k === 'cursor') pending.push(db.setMeta('cursor', o.value));
      else {
        await Promise.all(pending);
        pending = [];
        if (o.k === 'ack') {
          const ids = (await db.outbox.peek(o.n)).map((c) => (c as { id: string }).id);
          await db.outbox.ack(ids);
        } else if (o.k === 'reject') {
          const all = await db.outbox.peek(1e6);
          const c = all[o.at % Math.max(1, all.length)] as { id: string } | undefined;
          if (c !== undefined) await db.outbox.reject(c.id, 'no');
        }
      }
    }
    await Promise.all(pending);
  }

  it('a database reopened from its records is the one that wrote them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const storage = new LogStorage();
        const db = await createDatabase({
          name: 'rows',
          storage,
          replicaId: 'rows',
          now: () => 1_750_000_000_000,
        });
        await run(db, ops);
        const before = await snapshot(db);
        await db.close();
        const again = await createDatabase({ name: 'rows', storage });
        expect(await snapshot(again)).toEqual(before);
        await again.close();
        // The same workload on storage that keeps objects: the same states and outbox.
        const memory = await createDatabase({
          name: 'rows',
          storage: new MemoryStorage(),
          replicaId: 'rows',
          now: () => 1_750_000_000_000,
        });
        await run(memory, ops);
        expect(await snapshot(memory)).toEqual(before);
        await memory.close();
      }),
      fcParams('reopen from records with rows', 60),
    );
  });
});
