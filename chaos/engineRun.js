import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@fieldsync/server';
import { ClientHandle } from './clientHandle.js';
import { CHAOS_TYPE, sharedDocIds } from './docType.js';
import { FaultScheduler } from './faults.js';
import { Ledger } from './ledger.js';
import { ChaosProxy } from './proxy.js';
import { dropSchema, pgReachable, pullAll } from './serverState.js';
import { ServerPool } from './servers.js';
import { checkPresence, compareReplicas, fingerprint } from './verify.js';

/**
 * @typedef {{
 *   engine: string; dir: string; writes: number; acked: number; durable: number; intents: number;
 *   serverKills: number; clientKills: number; partitions: number; faults: Record<string, number>;
 *   lost: import('./verify.js').Lost[]; diverged: string[]; divergedDocs: number; converged: boolean; convergeMs: number; errors: string[];
 *   rejected: number; unmappedAcks: number; requiredWrites: number; restore: string;
 * }} EngineResult
 */

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One chaos run against one storage engine: servers, proxies and client processes up; shared
 * documents seeded; writes and faults for `chaosMs`; then every fault healed, writes stopped,
 * every client flushed until all replicas equal the server (or the deadline passes); then the
 * checks. Everything is torn down before it returns.
 * @param {'sqlite' | 'postgres'} engine
 * @param {import('./options.js').ChaosOptions} o
 * @param {import('./random.js').Random} rng
 * @param {{ deadline: number; say: (line: string) => void; registerCleanup: (fn: () => Promise<void>) => void }} env
 * @returns {Promise<EngineResult>}
 */
export async function runEngine(engine, o, rng, env) {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `fieldsync-chaos-${engine}-`));
  const eventsFile = join(dir, 'events.log');
  const log = (/** @type {string} */ line) =>
    appendFileSync(eventsFile, `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
  const say = (/** @type {string} */ line) => {
    log(line);
    env.say(`[${engine} ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${line}`);
  };
  say(`run directory ${dir}`);
  const typesFile = join(dir, 'types.json');
  writeFileSync(typesFile, JSON.stringify([CHAOS_TYPE]));
  const secret = randomBytes(24).toString('hex');
  const tenant = `chaos-${o.seed}`;
  /** @type {{ url: string; schema: string } | undefined} */
  let postgres;
  if (engine === 'postgres') {
    if (!(await pgReachable(o.pgUrl))) throw new Error(`PostgreSQL unreachable at ${o.pgUrl}`);
    postgres = { url: o.pgUrl, schema: `chaos_${process.pid}_${randomBytes(3).toString('hex')}` };
  }
  const servers = new ServerPool({
    engine,
    dir,
    typesFile,
    secret,
    heartbeatMs: o.heartbeatMs,
    processes: engine === 'postgres' ? 2 : 1,
    log,
    ...(postgres ? { postgres } : {}),
  });
  const ledger = new Ledger(join(dir, 'ledger.jsonl'));
  /** @type {ChaosProxy[]} */
  const proxies = [];
  /** @type {ClientHandle[]} */
  const clients = [];
  let tornDown = false;
  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    await Promise.all(clients.map((c) => c.close().catch(() => c.kill())));
    await Promise.all(proxies.map((p) => p.close()));
    await servers.stopAll();
    await ledger.close();
    if (postgres) await dropSchema(postgres.url, postgres.schema).catch(() => undefined);
  };
  env.registerCleanup(teardown);

  const routing = rng.fork(1);
  const writesRng = rng.fork(2);
  const faultRng = rng.fork(3);
  try {
    await servers.startAll();
    for (let i = 0; i < o.clients; i++) {
      const proxy = new ChaosProxy(() => servers.target((n) => routing.int(0, n - 1)));
      await proxy.listen();
      proxies.push(proxy);
    }
    const seeds = new Map();
    for (let i = 0; i < o.clients; i++) {
      const token = await signToken(secret, { user: `chaos-client-${i}`, tenant });
      clients.push(
        new ClientHandle(i, {
          dir,
          url: /** @type {ChaosProxy} */ (proxies[i]).url,
          token,
          writeMeanMs: o.writeMeanMs,
          sync: {},
          seedOf: (client, incarnation) => {
            const key = `${client}/${incarnation}`;
            if (!seeds.has(key)) seeds.set(key, writesRng.int(0, 0x7fffffff));
            return seeds.get(key);
          },
          nextSeq: (client) => ledger.nextSeq(client),
          sink: (client, msg) => ledger.record(client, msg),
        }),
      );
    }
    const verifierToken = await signToken(secret, { user: 'chaos-verifier', tenant });

    // Setup, without faults: client 0 creates the shared documents, everyone pulls them.
    await Promise.all(clients.map((c) => c.start()));
    const first = /** @type {ClientHandle} */ (clients[0]);
    const seeded = await first.request({ t: 'seedDocs', ids: sharedDocIds(o.sharedDocs) }, 30_000);
    if (seeded.t !== 'seeded')
      throw new Error(`seeding the shared documents failed: ${JSON.stringify(seeded)}`);
    for (let round = 0; round < 2; round++) {
      const res = await Promise.all(clients.map((c) => c.request({ t: 'flush' }, 60_000)));
      const bad = res.filter((r) => r['ok'] !== true);
      if (bad.length > 0) throw new Error(`setup flush failed: ${JSON.stringify(bad[0])}`);
    }
    say(
      `setup done: ${servers.slots.length} server process(es), ${o.clients} clients, ${o.sharedDocs} shared documents`,
    );

    // Chaos.
    const faults = new FaultScheduler(
      faultRng,
      {
        tickMs: 400,
        maxFaulted: Math.max(2, Math.floor(o.clients * 0.3)),
        cut: o.without.includes('cut') ? 0 : 0.12,
        blackhole: o.without.includes('blackhole') ? 0 : 0.06,
        delay: o.without.includes('delay') ? 0 : 0.1,
        drop: o.without.includes('drop') ? 0 : 0.1,
        clientKill: o.without.includes('client-kill') ? 0 : 0.08,
        serverKill: !o.without.includes('server-kill'),
        serverKillEveryMs: o.short ? [6000, 14_000] : [8000, 20_000],
        serverDownMs: [200, 2500],
      },
      { proxies, clients, servers, log },
    );
    const chaosStart = Date.now();
    const chaosEnd = Math.min(chaosStart + o.chaosMs, env.deadline - o.convergeMs - 15_000);
    // Mid-run: a backup while serving, then (with writes acknowledged in between) the store is
    // replaced by it. Every device must notice the new epoch and give back what the backup lacks.
    /** @type {{ backupAt?: number; restoredAt?: number; file?: string }} */
    const restore = {};
    if (!o.without.includes('restore'))
      faults.serverEvents.push(
        {
          at: chaosStart + 0.35 * (chaosEnd - chaosStart),
          name: 'backup while serving',
          run: async () => {
            restore.backupAt = Date.now();
            restore.file = await servers.backup('backup-1');
            say(`backup taken while serving (${restore.file})`);
          },
        },
        {
          at: chaosStart + 0.65 * (chaosEnd - chaosStart),
          name: 'restore from the backup',
          run: async () => {
            if (!restore.file) throw new Error('no backup to restore');
            await servers.restore(restore.file);
            restore.restoredAt = Date.now();
            say(`server store restored from the backup (new epoch); every device must resync`);
          },
        },
      );
    for (const c of clients) c.setWriting(true);
    faults.start();
    while (Date.now() < chaosEnd) {
      await sleep(Math.min(10_000, Math.max(0, chaosEnd - Date.now())));
      const c = ledger.counts();
      say(
        `writes=${c.made} acked=${c.acked} server_kills=${faults.counts.serverKill} client_kills=${faults.counts.clientKill} partitions=${faults.partitions} faulted=${faults.faulted.size}`,
      );
    }

    // Heal: no new faults, every fault in progress ended, every process up, proxies open.
    await faults.stop();
    for (const p of proxies) p.heal();
    await servers.startAll();
    await Promise.all(clients.map((c) => c.start()));
    const quiet = await Promise.all(clients.map((c) => c.request({ t: 'writing', on: false }, 30_000)));
    for (const c of clients) c.writing = false;
    if (quiet.some((q) => q.t !== 'quiet')) say(`warning: not every client confirmed it stopped writing`);
    say(`healed; writes stopped; converging (deadline ${o.convergeMs / 1000} s)`);

    // Converge: flush everyone until all outboxes are empty, once more so everyone pulls what
    // the others pushed, then compare every replica with the server.
    const convergeStart = Date.now();
    const convergeEnd = Math.min(convergeStart + o.convergeMs, env.deadline - 25_000); // room for checks and teardown
    let converged = false;
    /** @type {Map<string, string[]>} */
    let diverged = new Map();
    /** @type {import('./verify.js').DocJSON[]} */
    let serverDocs = [];
    /** @type {import('./clientHandle.js').Message[]} */
    let reports = [];
    let rounds = 0;
    let lastProblem = '';
    while (Date.now() < convergeEnd && !converged) {
      rounds++;
      let ok = true;
      for (let pass = 0; pass < 2 && ok; pass++) {
        const left = Math.max(1000, convergeEnd - Date.now());
        const res = await Promise.all(clients.map((c) => c.request({ t: 'flush' }, left)));
        const bad = res.flatMap((r, i) =>
          r['ok'] === true && r['pending'] === 0 ? [] : [{ client: i, ...r }],
        );
        if (bad.length > 0) {
          ok = false;
          lastProblem = `${bad.length} client(s) could not flush, e.g. ${JSON.stringify(bad[0])}`;
        }
      }
      ({ serverDocs, reports, diverged } = await snapshot(servers, clients, verifierToken, 15_000));
      if (ok && diverged.size === 0) converged = true;
      else {
        if (ok) lastProblem = `${diverged.size} document(s) differ`;
        log(`converge round ${rounds}: ${lastProblem}`);
        await sleep(1000);
      }
    }
    const convergeMs = Date.now() - convergeStart;
    if (!converged)
      for (const [i, p] of proxies.entries()) {
        const conns = p.describe();
        if (conns.length > 0) log(`proxy of client ${i} at the deadline: ${conns.join('; ')}`);
      }
    if (converged) say(`converged in ${(convergeMs / 1000).toFixed(1)} s (${rounds} round(s))`);
    else say(`did NOT converge within ${(convergeMs / 1000).toFixed(1)} s: ${lastProblem}`);

    // Checks: presence of every required write in the server's state; replicas identical.
    const replicaOf = new Map(clients.flatMap((c) => (c.replica ? [[c.index, c.replica]] : [])));
    // Required: durable on its device (the device keeps it and must hand it back), or acknowledged
    // by the server — except a write acknowledged between the backup and the restore whose device
    // never made it durable (killed first): the restore legitimately took the only copy.
    const { backupAt, restoredAt } = restore;
    /** @param {import('./ledger.js').WriteRecord} w */
    const lostWithRestore = (w) =>
      !w.durable &&
      !!w.acked &&
      backupAt !== undefined &&
      restoredAt !== undefined &&
      (w.ackedAt ?? 0) >= backupAt &&
      (w.ackedAt ?? 0) <= restoredAt;
    const exempt = [...ledger.writes.values()].filter(lostWithRestore).length;
    /** @param {import('./ledger.js').WriteRecord} w */
    const required = (w) => !!w.durable || (!!w.acked && !lostWithRestore(w));
    const presence = checkPresence(serverDocs, ledger.writes.values(), replicaOf, required);
    // How much the restore took away: acknowledged writes missing from the backup (SQLite), all
    // of which had to come back from the devices.
    let removedByRestore = 'n/a (PostgreSQL dump)';
    if (restore.file && restoredAt !== undefined && engine === 'sqlite') {
      const inBackup = await servers.inspect(restore.file, verifierToken).catch(() => undefined);
      const window = [...ledger.writes.values()].filter(
        (w) => w.acked && (w.ackedAt ?? 0) >= Number(backupAt) && (w.ackedAt ?? 0) <= restoredAt,
      );
      removedByRestore = inBackup
        ? String(checkPresence(inBackup, window, replicaOf, () => true).lost.length)
        : 'unknown (backup inspection failed)';
    }
    const divergedIds = [...diverged.keys()];
    const violationDocs = new Set(presence.violations.map((v) => v.split('.')[0] ?? v));
    const divergedAll = [
      ...divergedIds.map((id) => `${id}: ${(diverged.get(id) ?? []).slice(0, 4).join('; ')}`),
      ...presence.violations,
    ];
    if (divergedIds.length > 0) await dumpDiverged(dir, divergedIds, serverDocs, clients);
    const rejected = reports.reduce((n, r) => n + /** @type {unknown[]} */ (r['rejected'] ?? []).length, 0);
    writeFileSync(
      join(dir, 'result.json'),
      JSON.stringify({ lost: presence.lost, diverged: divergedAll, reports: reports.map(summary) }, null, 1),
    );
    const c = ledger.counts();
    return {
      engine,
      dir,
      writes: c.made,
      acked: c.acked,
      durable: c.durable,
      intents: c.intents,
      serverKills: faults.counts.serverKill,
      clientKills: faults.counts.clientKill,
      partitions: faults.partitions,
      faults: { ...faults.counts },
      lost: presence.lost,
      diverged: divergedAll,
      divergedDocs: new Set([...divergedIds, ...violationDocs]).size,
      converged,
      convergeMs,
      errors: [...faults.errors, ...ledger.errors, ...servers.crashes],
      rejected,
      unmappedAcks: ledger.unmappedAcks,
      requiredWrites: presence.requiredWrites,
      restore:
        restoredAt !== undefined
          ? `backup at ${((Number(backupAt) - chaosStart) / 1000).toFixed(1)} s, restored at ` +
            `${((restoredAt - chaosStart) / 1000).toFixed(1)} s of chaos; it removed ${removedByRestore} ` +
            `acknowledged write(s) from the server; ${exempt} exempt (acknowledged in between, never ` +
            `durable on their device)`
          : o.without.includes('restore')
            ? 'left out (--without restore)'
            : 'FAILED: did not happen',
    };
  } finally {
    await teardown();
  }
}

/** @param {import('./clientHandle.js').Message} r */
const summary = (r) => ({
  ...r,
  fingerprints: Object.keys(/** @type {object} */ (r['fingerprints'] ?? {})).length,
});

/**
 * The server's documents (from every server process) and every client's report, compared.
 * @param {ServerPool} servers
 * @param {ClientHandle[]} clients
 * @param {string} token
 * @param {number} ms
 */
async function snapshot(servers, clients, token, ms) {
  const urls = servers.live().map((i) => /** @type {string} */ (servers.url(i)));
  const pulled = await Promise.all(urls.map((u) => pullAll(u, token).catch(() => undefined)));
  const serverDocs = pulled[0] ?? [];
  /** @type {Record<string, string>} */
  const serverFp = {};
  for (const d of serverDocs) serverFp[d.id] = fingerprint(d);
  const reports = await Promise.all(clients.map((c) => c.request({ t: 'report' }, ms)));
  /** @type {Array<{ name: string; fingerprints: Record<string, string> | undefined }>} */
  const replicas = reports.map((r, i) => ({
    name: `client ${i}`,
    fingerprints: r.t === 'report' ? /** @type {Record<string, string>} */ (r['fingerprints']) : undefined,
  }));
  pulled.slice(1).forEach((docs, k) => {
    /** @type {Record<string, string> | undefined} */
    let fps;
    if (docs) {
      fps = {};
      for (const d of docs) fps[d.id] = fingerprint(d);
    }
    replicas.push({ name: `server process ${k + 1}`, fingerprints: fps });
  });
  if (pulled[0] === undefined) replicas.push({ name: 'server process 0', fingerprints: undefined });
  return { serverDocs, reports, diverged: compareReplicas(serverFp, replicas) };
}

/**
 * Writes the server's and every replica's state of the documents that differ, for diagnosis.
 * @param {string} dir
 * @param {string[]} ids
 * @param {import('./verify.js').DocJSON[]} serverDocs
 * @param {ClientHandle[]} clients
 */
async function dumpDiverged(dir, ids, serverDocs, clients) {
  const some = ids.filter((id) => id !== '*').slice(0, 20);
  const byId = new Map(serverDocs.map((d) => [d.id, d]));
  const dumps = await Promise.all(clients.map((c) => c.request({ t: 'dump', ids: some }, 15_000)));
  const out = some.map((id, k) => ({
    id,
    server: byId.get(id) ?? null,
    clients: dumps.map((d) => (Array.isArray(d['docs']) ? (d['docs'][k] ?? null) : null)),
  }));
  writeFileSync(join(dir, 'diverged.json'), JSON.stringify(out, null, 1));
}
