import { docToJSON } from '@fieldsync/core';
import fc from 'fast-check';
import { fcParams } from '../../../testing/fcSeed.js';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../src/index.js';
import { decodeBatch, encodeBatch } from '../src/storage/batchCodec.js';
import { BatchReplay } from '../src/storage/indexeddb/BatchReplay.js';
import type { CommitBatch, StoredChange } from '../src/storage/StorageAdapter.js';
import { workOrderType } from './fixtures.js';

/**
 * What storage must give back: the batch as JSON (stored forms are JSON, as for SQLite), its
 * documents in any order (ids are unique in a batch), its changes in id order.
 */
const canonical = (b: CommitBatch): unknown => {
  const j = JSON.parse(JSON.stringify(b)) as CommitBatch;
  j.docs?.sort((x, y) => (x.id < y.id ? -1 : 1));
  j.outboxAdd?.sort((x, y) => (x.id < y.id ? -1 : 1));
  return j;
};

describe('batchCodec', () => {
  it('round-trips plain, promoted and deleted documents, every kind of change, rejections and meta', async () => {
    const db = await createDatabase({ name: 'codec', replicaId: 'codec' });
    await db.defineType(workOrderType);
    const orders = db.collection('workOrders');
    const ids = await orders.insertMany(
      Array.from({ length: 50 }, (_, i) => ({
        title: `t${i}`,
        status: 'open',
        priority: i % 5,
        site: `s${i % 3}`,
      })),
    );
    await orders.insert({ title: 'only title', status: 'done' }); // other field names: another group
    await orders.update(ids[0]!, { $set: { status: 'done' } }); // stamps differ per register
    await orders.update(ids[1]!, { $unset: { site: true } }); // an unset register
    await orders.update(ids[2]!, { $inc: { visits: 2 }, $addToSet: { tags: 'x' }, $push: { notes: 'n' } });
    await orders.update(ids[3]!, { $set: { address: { city: 'Oslo' } } });
    await orders.text(ids[4]!, 'body').insert(0, 'hello');
    await orders.remove(ids[5]!);
    const states = orders.states;
    const docs = [...states.keys()].map((id) => ({
      collection: 'workOrders',
      id,
      state: docToJSON(states.get(id)!),
    }));
    const outbox = (await db.outbox.peek(10_000)) as Array<{ id: string }>;
    const batch: CommitBatch = {
      docs,
      deleteDocs: [{ collection: 'workOrders', id: 'gone' }],
      outboxAdd: outbox.map((c, i): StoredChange =>
        i === 7 ? { id: c.id, change: c, rejected: 'forbidden: no' } : { id: c.id, change: c },
      ),
      outboxRemove: ['a', 'b'],
      outboxReject: [{ id: 'c', reason: 'why' }],
      meta: [
        ['clock', db.clock.last!],
        ['sync:cursor', '42'],
      ],
    };
    const text = encodeBatch(batch);
    expect(canonical(decodeBatch(text))).toEqual(canonical(batch));
    expect(decodeBatch(text).outboxAdd?.map((c) => c.id)).toEqual(batch.outboxAdd?.map((c) => c.id).sort());
    // The common shapes are stored by column: far smaller than the JSON of the objects. The
    // inserts of the 44 documents still as inserted name their document instead of repeating it.
    expect(text.length).toBeLessThan(JSON.stringify(batch).length * 0.6);
    const byRef = (JSON.parse(text) as { i?: unknown[][] }).i ?? [];
    expect(byRef.reduce((n, g) => n + (g.length - 4) / 2, 0)).toBe(44);
    expect(encodeBatch(batch)).toBe(text); // one encoding per batch object
    await db.close();
  });

  it('refuses a record it did not write', () => {
    expect(() => decodeBatch('{"f":9}')).toThrow(/unknown commit record format/);
    expect(() => decodeBatch('not json')).toThrow();
  });
});

describe('BatchReplay', () => {
  // Model: a record per document / change / meta key, one transaction per batch (layout 1).
  const id = fc.constantFrom('a', 'b', 'c', 'd');
  const batchArb = fc.record(
    {
      docs: fc.array(fc.record({ collection: fc.constantFrom('x', 'y'), id, state: fc.integer() }), {
        maxLength: 4,
      }),
      deleteDocs: fc.array(fc.record({ collection: fc.constantFrom('x', 'y'), id }), { maxLength: 2 }),
      outboxAdd: fc.array(fc.record({ id, change: fc.integer() }), { maxLength: 3 }),
      outboxRemove: fc.array(id, { maxLength: 2 }),
      outboxReject: fc.array(fc.record({ id, reason: fc.string() }), { maxLength: 1 }),
      meta: fc.array(fc.tuple(id, fc.string()), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );

  it('leaves what per-record puts and deletes would, and a snapshot of it replays to the same', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { maxLength: 12 }), (batches) => {
        const docs = new Map<string, unknown>();
        const outbox = new Map<string, StoredChange>();
        const meta = new Map<string, string>();
        const replay = new BatchReplay();
        for (const raw of batches) {
          const b = raw as CommitBatch;
          // CommitQueue never puts and deletes one document in the same batch.
          const deleted = new Set((b.deleteDocs ?? []).map((d) => `${d.collection}/${d.id}`));
          const batch = { ...b, docs: (b.docs ?? []).filter((d) => !deleted.has(`${d.collection}/${d.id}`)) };
          for (const d of batch.docs) docs.set(`${d.collection}/${d.id}`, d.state);
          for (const d of batch.deleteDocs ?? []) docs.delete(`${d.collection}/${d.id}`);
          for (const c of batch.outboxAdd ?? []) outbox.set(c.id, c);
          for (const i of batch.outboxRemove ?? []) outbox.delete(i);
          for (const r of batch.outboxReject ?? []) {
            const c = outbox.get(r.id);
            if (c) outbox.set(r.id, { ...c, rejected: r.reason });
          }
          for (const [k, v] of batch.meta ?? []) meta.set(k, v);
          replay.apply(decodeBatch(encodeBatch(batch)));
        }
        const want = {
          docs: [...docs].map(([k, state]) => ({ key: k, state })).sort((a, b) => (a.key < b.key ? -1 : 1)),
          outbox: [...outbox.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
          meta,
        };
        const view = (l: ReturnType<BatchReplay['loaded']>) => ({
          docs: l.docs
            .map((d) => ({ key: `${d.collection}/${d.id}`, state: d.state }))
            .sort((a, b) => (a.key < b.key ? -1 : 1)),
          outbox: l.outbox,
          meta: l.meta,
        });
        expect(view(replay.loaded())).toEqual(want);
        const again = new BatchReplay();
        again.apply(decodeBatch(encodeBatch(replay.snapshot())));
        expect(view(again.loaded())).toEqual(want);
        expect(again.dead).toBe(0);
      }),
      fcParams('BatchReplay equals per-record puts and deletes', 300),
    );
  });
});
