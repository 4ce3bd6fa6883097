// SignalDB: one collection with indices on status, site, priority and updatedAt; observeChanges.
import { Collection, createIndex } from '@signaldb/core';
import { STATUSES, SITES } from './data.js';
import { gc, heapUsed, now, timeMedian, median } from './measure.js';

export async function run(rows) {
  const heap0 = heapUsed();
  const t0 = now();
  const orders = new Collection({
    indices: [createIndex('status'), createIndex('site'), createIndex('priority'), createIndex('updatedAt')],
  });
  orders.batch(() => {
    orders.insertMany(rows);
  });
  const load = now() - t0;
  const heap = heapUsed() - heap0;

  let n = 0;
  const eq = timeMedian(50, (i) => {
    n += orders.find({ status: STATUSES[i % 4], site: SITES[i % 200] }).fetch().length;
  });
  const range = timeMedian(
    5,
    () => {
      n += orders.find({ priority: { $gte: 3 } }, { sort: { updatedAt: -1 }, limit: 50 }).fetch().length;
    },
    1,
  );

  let fired = 0;
  let wake;
  const cursors = Array.from({ length: 10 }, (_, k) => orders.find({ status: 'open', site: SITES[k] }));
  const stops = cursors.map((c) =>
    c.observeChanges(
      {
        added: () => (fired++, wake?.()),
        removed: () => (fired++, wake?.()),
        changed: () => (fired++, wake?.()),
      },
      true,
    ),
  );
  const targets = orders
    .find({ site: SITES[0] })
    .fetch()
    .map((d) => d.id);
  gc();
  const times = [];
  for (let i = 0; i < 25; i++) {
    const target = orders.findOne({ id: targets[i % targets.length] });
    const before = fired;
    const notified = new Promise((r) => (wake = r));
    const t1 = now();
    orders.updateOne(
      { id: target.id },
      { $set: { status: target.status === 'open' ? 'assigned' : 'open', updatedAt: 1_800_000_000_000 + i } },
    );
    if (fired === before) await notified;
    const t2 = now();
    if (i >= 3) times.push(t2 - t1);
  }
  for (const s of stops) s();
  return { load, eq, range, live: median(times), heap, check: n };
}
