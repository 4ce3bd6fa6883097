// TinyBase: one store loaded with setTable, an index on status|site, sorted row ids for range +
// sort (TinyBase has no range index; this was its fastest way here), slice listeners.
import { createIndexes, createStore } from 'tinybase';
import { STATUSES, SITES } from './data.js';
import { gc, heapUsed, now, timeMedian, median } from './measure.js';

export async function run(rows) {
  const heap0 = heapUsed();
  const t0 = now();
  const store = createStore();
  const table = {};
  for (const { id, ...row } of rows) table[id] = row;
  store.setTable('workOrders', table);
  const indexes = createIndexes(store);
  indexes.setIndexDefinition('byStatusSite', 'workOrders', (get) => `${get('status')}|${get('site')}`);
  const load = now() - t0;
  const heap = heapUsed() - heap0;

  let n = 0;
  const eq = timeMedian(1000, (i) => {
    const ids = indexes.getSliceRowIds('byStatusSite', `${STATUSES[i % 4]}|${SITES[i % 200]}`);
    n += ids.map((id) => store.getRow('workOrders', id)).length;
  });
  const range = timeMedian(
    10,
    () => {
      const out = [];
      for (const id of store.getSortedRowIds('workOrders', 'updatedAt', true)) {
        if (store.getCell('workOrders', id, 'priority') >= 3) out.push(store.getRow('workOrders', id));
        if (out.length === 50) break;
      }
      n += out.length;
    },
    1,
  );

  let fired = 0;
  for (let k = 0; k < 10; k++)
    indexes.addSliceRowIdsListener('byStatusSite', `open|${SITES[k]}`, () => fired++);
  const targets = STATUSES.flatMap((s) => indexes.getSliceRowIds('byStatusSite', `${s}|${SITES[0]}`));
  gc();
  const times = [];
  for (let i = 0; i < 1100; i++) {
    const id = targets[i % targets.length];
    const status = store.getCell('workOrders', id, 'status');
    const before = fired;
    const t1 = now();
    store.setPartialRow('workOrders', id, {
      status: status === 'open' ? 'assigned' : 'open',
      updatedAt: 1_800_000_000_000 + i,
    });
    const t2 = now();
    if (fired === before) throw new Error('tinybase listener not called');
    if (i >= 100) times.push(t2 - t1);
  }
  return { load, eq, range, live: median(times), heap, check: n };
}
