// The benchmark page, bundled by esbuild (run.js): fieldsync (built packages) and TinyBase 10 with
// its IndexedDB persister, driven by run.js through `window.bench`. Every function returns the
// wall time it measured (performance.now() in the page) and a check value the runner verifies.
import { createDatabase, IndexedDbStorage } from '@fieldsync/client';
import { createIndexes, createStore } from 'tinybase';
import { createIndexedDbPersister } from 'tinybase/persisters/persister-indexed-db';
import { SITES, workOrderType, workOrders } from '../collections/data.js';

const SITE = SITES[7];

async function fieldsyncOpen(name, options = {}) {
  const db = await createDatabase({ name, storage: new IndexedDbStorage(name), ...options });
  await db.defineType(workOrderType);
  const orders = db.collection('workOrders');
  orders.createIndex(['status', 'site']);
  orders.createIndex('updatedAt', { kind: 'ordered' });
  return { db, orders };
}

function tinybaseIndexes(store) {
  const indexes = createIndexes(store);
  indexes.setIndexDefinition('byStatusSite', 'workOrders', (get) => `${get('status')}|${get('site')}`);
  return indexes;
}

window.bench = {
  /** Durable bulk load: an empty database, its indexes, `insertMany` resolved (durable). */
  async fieldsyncLoad(name, n) {
    const rows = workOrders(n);
    const t0 = performance.now();
    const { db, orders } = await fieldsyncOpen(name);
    await orders.insertMany(rows);
    const ms = performance.now() - t0;
    const check = orders.find({}).count();
    await db.close();
    return { ms, check };
  },
  /** Cold open (after a reload): open, restore, indexes, the first indexed query. */
  async fieldsyncOpen(name) {
    const t0 = performance.now();
    const { db, orders } = await fieldsyncOpen(name);
    const first = orders.find({ status: 'open', site: SITE }).fetch();
    const ms = performance.now() - t0;
    const check = { count: orders.find({}).count(), first: first.length, pending: await db.outbox.count() };
    await db.close();
    return { ms, check };
  },
  /** TinyBase: store, table, index, IndexedDB persister, `save()` resolved. */
  async tinybaseLoad(name, n) {
    const rows = workOrders(n);
    const t0 = performance.now();
    const store = createStore();
    const table = {};
    for (const { id, ...row } of rows) table[id] = row;
    store.setTable('workOrders', table);
    tinybaseIndexes(store);
    const persister = createIndexedDbPersister(store, name);
    await persister.save();
    const ms = performance.now() - t0;
    const check = store.getRowCount('workOrders');
    await persister.destroy();
    return { ms, check };
  },
  /** TinyBase cold open: store, persister `load()`, index, the first indexed query. */
  async tinybaseOpen(name) {
    const t0 = performance.now();
    const store = createStore();
    const persister = createIndexedDbPersister(store, name);
    await persister.load();
    const indexes = tinybaseIndexes(store);
    const first = indexes
      .getSliceRowIds('byStatusSite', `open|${SITE}`)
      .map((id) => store.getRow('workOrders', id));
    const ms = performance.now() - t0;
    const check = { count: store.getRowCount('workOrders'), first: first.length };
    await persister.destroy();
    return { ms, check };
  },
  /** Deletes an IndexedDB database (between runs, so the disk does not fill up). */
  drop(name) {
    return new Promise((resolve, reject) => {
      const r = indexedDB.deleteDatabase(name);
      r.onsuccess = () => resolve(true);
      r.onerror = () => reject(r.error);
      r.onblocked = () => resolve(false);
    });
  },
  /**
   * First sync from the page's own origin (`fieldsync serve`) into an empty IndexedDB database:
   * `flush()` pulls every page and resolves when each is merged and durable.
   */
  async fieldsyncFirstSync(name, token, expected) {
    const progress = [];
    // Whether the page stays usable meanwhile: the main thread's long tasks (> 50 ms) during the sync.
    const longTasks = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: 'longtask' });
    const t0 = performance.now();
    const { db, orders } = await fieldsyncOpen(name, {
      sync: { url: location.origin, token, autoStart: false, live: false, pullLimit: 5000 },
    });
    const stop = db.sync.subscribe((s) => {
      if (s.progress) progress.push({ at: performance.now() - t0, ...s.progress });
    });
    await db.sync.flush();
    const ms = performance.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, 0)); // the observer's last entries
    for (const e of observer.takeRecords()) longTasks.push(e.duration);
    observer.disconnect();
    stop?.();
    const count = orders.find({}).count();
    if (count !== expected) throw new Error(`first sync: ${count} documents, expected ${expected}`);
    await db.close();
    const longest = Math.max(0, ...longTasks);
    const blocked = longTasks.reduce((a, d) => a + d, 0);
    return {
      ms,
      check: count,
      progress: progress.slice(-3),
      longTasks: { count: longTasks.length, longest, blocked, all: longTasks.map(Math.round) },
    };
  },
};
window.benchReady = true;
