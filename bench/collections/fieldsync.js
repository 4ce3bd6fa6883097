// fieldsync: memory storage, type defined, compound hash index (status, site) and an ordered
// index on updatedAt. All writes go through the real write path (core change, outbox, commit).
import { createDatabase } from '@fieldsync/client';
import { SITES, STATUSES, workOrderType as type } from './data.js';
import { gc, heapUsed, now, timeMedian, median } from './measure.js';

export async function run(rows) {
  const heap0 = heapUsed();
  const t0 = now();
  const db = await createDatabase({ name: 'bench', replicaId: 'bench' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  orders.createIndex(['status', 'site']);
  orders.createIndex('updatedAt', { kind: 'ordered' });
  await orders.insertMany(rows);
  const load = now() - t0;
  const heap = heapUsed() - heap0;

  let n = 0;
  const eq = timeMedian(1000, (i) => {
    n += orders.find({ status: STATUSES[i % 4], site: SITES[i % 200] }).fetch().length;
  });
  const range = timeMedian(50, () => {
    n += orders.find({ priority: { $gte: 3 } }, { sort: { updatedAt: -1 }, limit: 50 }).fetch().length;
  });

  // 10 live queries; each update moves a document out of query 0 (and into another status).
  let fired = 0;
  const stops = Array.from({ length: 10 }, (_, k) =>
    orders.find({ status: 'open', site: SITES[k] }).subscribe(() => fired++),
  );
  const targets = orders
    .find({ site: SITES[0] })
    .fetch()
    .map((d) => d.id);
  gc();
  const times = [];
  const durable = [];
  for (let i = 0; i < 1100; i++) {
    const target = orders.findOne(targets[i % targets.length]);
    const before = fired;
    const t1 = now();
    const p = orders.update(target.id, {
      $set: { status: target.status === 'open' ? 'assigned' : 'open', updatedAt: 1_800_000_000_000 + i },
    });
    const t2 = now();
    await p;
    const t3 = now();
    if (fired === before) throw new Error('live query was not notified');
    if (i >= 100) {
      times.push(t2 - t1);
      durable.push(t3 - t1);
    }
  }
  for (const s of stops) s();
  const live = median(times);
  await db.close();
  return { load, eq, range, live, liveDurable: median(durable), heap, check: n };
}
