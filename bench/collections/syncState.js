// Per-document sync state (issue 17): 10,000 work orders, 1,000 changes waiting for the server.
// What does showing each row's state (`db.syncState.of(id)`) add to rendering the list? The
// "render" builds one row string per document in both cases, so the difference is the lookups.
// As part of bench/collections/run.js (`npm run bench`), or alone:
//   node --expose-gc bench/collections/syncState.js [--runs 5]
// Needs built packages: npm run build -w @fieldsync/core -w @fieldsync/client
import { pathToFileURL } from 'node:url';
import { createDatabase } from '@fieldsync/client';
import { workOrders, workOrderType as type } from './data.js';
import { gc, median, now } from './measure.js';

const DOCS = 10_000;
const PENDING = 1_000;

async function once() {
  const db = await createDatabase({ name: 'bench-sync', replicaId: 'bench' });
  await db.defineType(type);
  const orders = db.collection('workOrders');
  const ids = await orders.insertMany(workOrders().slice(0, DOCS));
  // Everything inserted is on the server (acknowledged as the sync client would) ...
  await db.outbox.ack((await db.outbox.peek(DOCS)).map((c) => c.id));
  // ... then 1,000 changes wait: updates of 700 documents, 300 of them twice.
  for (let i = 0; i < PENDING; i++)
    await orders.update(ids[i % 700], { $set: { priority: i % 5, updatedAt: 1_900_000_000_000 + i } });
  const t0 = now();
  if (db.syncState.count !== 700)
    throw new Error(`expected 700 waiting documents, got ${db.syncState.count}`);
  const build = now() - t0; // the index is built on first use, from one pass over the outbox

  const list = () => orders.find({}, { sort: { updatedAt: -1 } }).fetch();
  let sink = 0;
  // One row renderer for both lists, mark included, so that the difference between them is what
  // fieldsync adds (the lookup), not how much text the bench chooses to build. `plain` hands every
  // row the state of a document with nothing waiting, obtained at run time so V8 cannot fold it.
  // A row is what the work-orders app's list renders (apps/workorders/src/routes/+page.svelte):
  // a link to the record by its id, its title, status and site, and the mark.
  const none = db.syncState.of('no-such-document');
  const row = (d, s) =>
    `<a href="/orders/${d.id}">${d.title} ${d.status} ${d.site}${s.status === 'synced' ? '' : ` ${s.status}`}</a>`;
  const plain = () => {
    const docs = list();
    let html = '';
    for (const d of docs) html = row(d, none);
    sink += docs.length + html.length;
  };
  const withState = () => {
    const docs = list();
    let html = '';
    for (const d of docs) html = row(d, db.syncState.of(d.id));
    sink += docs.length + html.length;
  };
  for (let i = 0; i < 20; i++) {
    plain();
    withState();
  }
  gc();
  const a = [];
  const b = [];
  // Interleaved, so both see the same machine load.
  const diff = [];
  for (let i = 0; i < 100; i++) {
    // Alternate which goes first, so neither always runs right after a GC pause of the other.
    let t = now();
    if (i % 2) plain();
    else withState();
    const first = now() - t;
    t = now();
    if (i % 2) withState();
    else plain();
    const second = now() - t;
    const [p, w] = i % 2 ? [first, second] : [second, first];
    a.push(p);
    b.push(w);
    diff.push(w - p);
  }
  // The lookups alone: one `of(id)` per row of the list.
  const docs = list();
  const lookups = [];
  for (let i = 0; i < 50; i++) {
    const t = now();
    for (const d of docs) if (db.syncState.of(d.id).status !== 'synced') sink++;
    lookups.push(now() - t);
  }
  // The acknowledgement of all 1,000 changes: one index update, one notification.
  let notified = 0;
  const stop = db.syncState.subscribe(() => notified++);
  const pending = (await db.outbox.peek(PENDING)).map((c) => c.id);
  const t1 = now();
  await db.outbox.ack(pending);
  const ack = now() - t1;
  await Promise.resolve();
  stop();
  if (db.syncState.count !== 0 || notified !== 1)
    throw new Error(
      `acknowledgement not reflected: ${db.syncState.count} waiting, ${notified} notifications`,
    );
  await db.close();
  return {
    list: median(a),
    listWithState: median(b),
    added: median(diff),
    lookups: median(lookups),
    build,
    ack,
    sink,
  };
}

export async function run({ runs = 5 } = {}) {
  const all = [];
  for (let r = 0; r < runs; r++) {
    all.push(await once());
    process.stderr.write(`sync state run ${r + 1}/${runs}: ${JSON.stringify(all.at(-1))}\n`);
  }
  const m = (k) => median(all.map((x) => x[k]));
  const list = m('list');
  console.log(
    `\nSync state per row: ${DOCS.toLocaleString('en')} work orders, ${PENDING.toLocaleString('en')} changes waiting (700 documents); median of ${runs} runs\n`,
  );
  console.log(
    '| list query + render (ms) | with each row’s sync state (ms) | added (median of paired differences) | 10,000 `of(id)` alone | index built on first use (ms) | ack of 1,000 changes → states (ms) |',
  );
  console.log('|---|---|---|---|---|---|');
  const pct = (x) => `${((x / list) * 100).toFixed(1)} %`;
  console.log(
    `| ${list.toFixed(2)} | ${m('listWithState').toFixed(2)} | ${m('added').toFixed(2)} ms = ${pct(m('added'))} | ${m('lookups').toFixed(2)} ms = ${pct(m('lookups'))} | ${m('build').toFixed(2)} | ${m('ack').toFixed(2)} |`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--runs');
  await run({ runs: i >= 0 ? Number(args[i + 1]) : 5 });
}
