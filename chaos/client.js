/**
 * One chaos client: a child process running the real client library (`@fieldsync/client` from
 * its built dist, SQLite storage) against the proxy the parent controls. It writes what the
 * parent's seed decides, tells the parent about each write before making it (so the parent's
 * independent log knows every value that may show up anywhere), and reports every change the
 * sync client acknowledges. It can be SIGKILLed at any moment and reopened from its file.
 *
 * Started by the parent with one JSON argument (see `ClientConfig` in clientHandle.js).
 */
import { createHash } from 'node:crypto';
import { createDatabase } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { docToJSON, encodeDoc } from '@fieldsync/core';
import { CHAOS_TYPE, COLLECTION } from './docType.js';
import { Random } from './random.js';
import { planInsert, planWrite } from './writes.js';

/** @type {import('./clientHandle.js').ClientConfig} */
const cfg = JSON.parse(process.argv[2] ?? '{}');

/** @param {unknown} msg */
const send = (msg) =>
  /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      if (!process.send) return reject(new Error('chaos client must run with an IPC channel'));
      process.send(msg, undefined, {}, (e) => (e ? reject(e) : resolve()));
    })
  );

const sendSoon = (/** @type {unknown} */ msg) => void send(msg).catch(() => process.exit(3));

// The parent is gone: nothing left to report to.
process.on('disconnect', () => process.exit(0));

/**
 * Requests in flight, for the heartbeat line: a request that never ends is the usual way a sync
 * client wedges, and this says which one and since when. Wraps the global fetch, nothing else.
 * @type {Map<number, { what: string; at: number }>}
 */
const inFlight = new Map();
let requests = 0;
/** @type {typeof fetch} */
const tracedFetch = async (input, init) => {
  const id = ++requests;
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  inFlight.set(id, {
    what: `${init?.method ?? 'GET'} ${url.replace(/^https?:\/\/[^/]+/, '').slice(0, 60)}`,
    at: Date.now(),
  });
  try {
    return await fetch(input, init);
  } finally {
    inFlight.delete(id);
  }
};

const db = await createDatabase({
  name: `chaos-${cfg.client}`,
  storage: new SqliteStorage(cfg.file),
  sync: { ...cfg.sync, url: cfg.url, token: cfg.token, autoStart: false, fetch: tracedFetch },
});
const sync = /** @type {import('@fieldsync/client').SyncClient} */ (db.sync);

// The acknowledgement hook: the sync client calls `outbox.ack(ids)` exactly when the server
// answered ok/duplicate for them. Report before the local queue drops them.
const outbox = db.outbox;
const ack = outbox.ack.bind(outbox);
outbox.ack = (/** @type {readonly string[]} */ ids) => {
  sendSoon({ t: 'ack', ids: [...ids] });
  return ack(ids);
};

if (!db.typeFor(COLLECTION)) await db.defineType(CHAOS_TYPE);
sync.start();

const rng = new Random(cfg.seed);
let seq = cfg.seq0;
let writing = false;
/** @type {Promise<void> | undefined} */
let loop;

/**
 * One write: announce it, make it, report its change id, and report when it is durable.
 * @param {import('./writes.js').PlannedWrite} plan
 */
async function perform(plan) {
  await send({ t: 'intent', w: plan.intent });
  lastIntentAt = Date.now();
  const before = db.clock.last;
  let done;
  try {
    done = plan.run();
  } catch (e) {
    sendSoon({ t: 'failed', seq: plan.intent.seq, error: String(e) });
    return;
  }
  const after = db.clock.last;
  if (done === undefined || after === before) {
    // Nothing was written (the precondition no longer held, or the write was refused).
    if (done) await done.catch(() => undefined);
    sendSoon({ t: 'failed', seq: plan.intent.seq, error: done ? 'refused' : 'precondition' });
    return;
  }
  sendSoon({ t: 'wrote', seq: plan.intent.seq, id: after });
  try {
    await done;
    sendSoon({ t: 'durable', seq: plan.intent.seq });
  } catch (e) {
    sendSoon({ t: 'error', message: `write ${plan.intent.seq} failed after it was made: ${String(e)}` });
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function writeLoop() {
  while (writing) {
    // Exponential gaps around the mean: bursts and lulls, like people.
    await sleep(Math.min(-Math.log(1 - rng.next()) * cfg.writeMeanMs, cfg.writeMeanMs * 6));
    if (!writing) break;
    const plan = planWrite(db, rng, cfg.client, seq++);
    if (plan) await perform(plan);
  }
}

/** The canonical fingerprint of every document this replica holds (deleted ones included). */
function fingerprints() {
  const coll = db.collection(COLLECTION);
  /** @type {Record<string, string>} */
  const out = {};
  for (const id of coll.states.keys()) {
    const state = coll.states.get(id);
    if (state) out[id] = createHash('sha256').update(encodeDoc(state)).digest('hex');
  }
  return out;
}

process.on('message', (raw) => {
  const msg = /** @type {{ t: string; [k: string]: unknown }} */ (raw);
  void handle(msg).catch((e) => sendSoon({ t: 'error', message: `${msg.t}: ${String(e)}` }));
});

/** @param {{ t: string; [k: string]: unknown }} msg */
async function handle(msg) {
  switch (msg.t) {
    case 'seedDocs': {
      for (const id of /** @type {string[]} */ (msg.ids))
        await perform(planInsert(db, cfg.client, seq++, id));
      await send({ t: 'seeded', id: msg.id });
      return;
    }
    case 'writing':
      writing = msg.on === true;
      if (writing && !loop) loop = writeLoop().finally(() => (loop = undefined));
      if (!writing) {
        await loop;
        await send({ t: 'quiet', id: msg.id, seq });
      }
      return;
    case 'flush': {
      let error;
      try {
        await sync.flush();
      } catch (e) {
        error = String(e);
      }
      const pending = await outbox.count();
      await send({ t: 'flushed', id: msg.id, ok: error === undefined, error, pending });
      return;
    }
    case 'report': {
      const coll = db.collection(COLLECTION);
      await send({
        t: 'report',
        id: msg.id,
        replica: db.replicaId,
        cursor: await db.getMeta('sync.cursor'),
        pending: await outbox.count(),
        rejected: db.rejectedChanges().map((r) => ({ id: r.id, reason: r.reason })),
        status: sync.status,
        fingerprints: fingerprints(),
        live: coll.docs.size,
      });
      return;
    }
    case 'dump': {
      const coll = db.collection(COLLECTION);
      const docs = /** @type {string[]} */ (msg.ids).map((id) => {
        const s = coll.states.get(id);
        return s ? docToJSON(s) : null;
      });
      await send({ t: 'dump', id: msg.id, docs: JSON.parse(JSON.stringify(docs)) });
      return;
    }
    case 'close':
      writing = false;
      await loop;
      await db.close();
      process.exit(0);
  }
}

// A line every 5 s in this client's log (run directory): what it was doing when something hung.
let lastIntentAt = 0;
setInterval(() => {
  const st = sync.status;
  console.log(
    `${new Date().toISOString()} seq=${seq} writing=${writing} loop=${loop !== undefined} ` +
      `lastIntent=${lastIntentAt ? Date.now() - lastIntentAt : -1}ms online=${st.online} live=${st.live} ` +
      `pushing=${st.pushing} pulling=${st.pulling} pending=${st.pending} lastError=${st.lastError ?? ''}` +
      [...inFlight.values()].map((r) => ` | ${r.what} for ${Date.now() - r.at}ms`).join(''),
  );
}, 5000).unref();

await send({ t: 'ready', replica: db.replicaId, pending: await outbox.count() });
