// History compaction under load (`npm run bench:sync`, BENCH_SYNC_ONLY=compaction): a store holding
// 1,000,000 change ids older than the horizon is compacted by the server process (the periodic
// pass, triggered here over IPC) while devices keep pushing one change at a time. Measured: the
// pass's duration, and the slowest push answered while it ran (and, for comparison, just before).
import { fork } from 'node:child_process';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HybridLogicalClock, createChange, formatStamp } from '@fieldsync/core';
import { SqliteEngine, signToken, startServer } from '@fieldsync/server';
import { SECRET, WORK_ORDER, fmt, percentile } from './common.js';

const HOUR = 3_600_000;

/** Child process: a real server on the seeded store; `compact` over IPC runs one pass. */
async function serverChild(file) {
  const srv = await startServer({
    storage: new SqliteEngine({ file }),
    secret: SECRET,
    port: 0,
    types: [WORK_ORDER],
    historyHorizonMs: HOUR,
    compactEveryMs: 24 * HOUR, // only the pass at startup (a time mark) and the ones asked for
    limits: { rate: { perSecond: 1e6, burst: 4e6 } },
  });
  process.on('message', async (m) => {
    // The pass runs as if 3 hours later, so that the seeded ids (and nothing pushed now) are past
    // the 1-hour horizon — the pass at startup left them alone.
    if (m === 'compact') {
      const stats = srv.context.storage.maintenanceStats;
      const before = { ...stats };
      const cpu0 = process.cpuUsage();
      const report = await srv.context.history.run(Date.now() + 3 * HOUR);
      const cpu = process.cpuUsage(cpu0);
      process.send({
        report: {
          ...report,
          cpuS: (cpu.user + cpu.system) / 1e6,
          steps: stats.steps - before.steps,
          stepsMs: stats.totalMs - before.totalMs,
          maxStepMs: stats.maxMs,
        },
      });
    }
    if (m === 'stop') {
      await srv.close();
      process.exit(0);
    }
  });
  process.send({ url: srv.url });
}

/**
 * Writes `n` change ids made 30 minutes ago (stamps of 50 replicas; tenant `bench`, sequences
 * 1..n) into a new store.
 */
async function seed(file, n) {
  const e = new SqliteEngine({ file });
  await e.init();
  await e.close();
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO changes (tenant, id, doc, seq, hash) VALUES (?, ?, ?, ?, ?)');
  const wall = Date.now() - HOUR / 2;
  db.transaction(() => {
    for (let i = 1; i <= n; i++) {
      const id = formatStamp(wall + Math.floor(i / 10), i % 10, `seed${i % 50}`);
      insert.run('bench', id, `doc${i % 100_000}`, i, 'AAAAAAAAAAAAAAAAAAAAAA');
    }
    db.prepare("INSERT INTO tenants (tenant, seq) VALUES ('bench', ?)").run(n); // the tenant's own sequence
    db.prepare("INSERT INTO tenant_marks (tenant, at, head) VALUES ('bench', ?, ?)").run(wall, n);
  })();
  db.close();
}

/** One change per push from `workers` devices until `stop()`; every latency with its start time. */
function pushers(url, token, workers) {
  const samples = [];
  let running = true;
  const one = async (w) => {
    const clock = new HybridLogicalClock({ replica: `dev${w}` });
    while (running) {
      const c = createChange({
        clock,
        type: WORK_ORDER,
        doc: undefined,
        intents: [{ op: 'set', path: ['title'], value: `wo ${samples.length}` }],
      });
      const t = performance.now();
      const res = await fetch(`${url}/v1/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ changes: [c] }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`push failed: ${res.status}`);
      samples.push({ at: t, ms: performance.now() - t });
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => one(w)));
  return {
    samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

const request = (child, message, key) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (m && key in m) {
        child.off('message', on);
        resolve(m[key]);
      }
    };
    child.on('message', on);
    if (message) child.send(message);
  });

/** The benchmark row(s): compaction of `n` change ids while 4 devices push. */
export async function compactionUnderPushes(dir, n, results, log) {
  const file = join(dir, 'compaction', 'fieldsync.sqlite');
  const s0 = performance.now();
  await seed(file, n);
  log(`compaction: seeded ${fmt(n)} change ids in ${fmt((performance.now() - s0) / 1000, 1)} s`);
  const child = fork(fileURLToPath(import.meta.url), ['--server', file], { stdio: 'inherit' });
  try {
    const url = await request(child, undefined, 'url');
    const token = await signToken(SECRET, { user: 'bench', tenant: 'bench' });
    const load = pushers(url, token, 4);
    await new Promise((r) => setTimeout(r, 2000)); // baseline (and warm-up) before compaction
    const t0 = performance.now();
    const report = await request(child, 'compact', 'report');
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    const during = load.samples.filter((s) => s.at + s.ms >= t0 && s.at <= t1).map((s) => s.ms);
    const before = load.samples.filter((s) => s.at >= t0 - 1500 && s.at + s.ms < t0).map((s) => s.ms);
    during.sort((a, b) => a - b);
    before.sort((a, b) => a - b);
    const maxDuring = during[during.length - 1] ?? NaN;
    const maxBefore = before[before.length - 1] ?? NaN;
    log(
      `compaction of ${fmt(report.changeIds)} change ids: ${fmt(report.ms / 1000, 2)} s in the server (${fmt((t1 - t0) / 1000, 2)} s seen by the caller); ` +
        `server process CPU meanwhile ${fmt(report.cpuS, 2)} s (all threads, pushes included); ${report.steps} steps took ${fmt(report.stepsMs / 1000, 2)} s in the writer thread, the longest ${fmt(report.maxStepMs, 1)} ms; ` +
        `${during.length} pushes answered meanwhile: p50 ${fmt(percentile(during, 50), 1)} ms, p99 ${fmt(percentile(during, 99), 1)} ms, max ${fmt(maxDuring, 1)} ms ` +
        `(just before: ${before.length} pushes, p50 ${fmt(percentile(before, 50), 1)} ms, p99 ${fmt(percentile(before, 99), 1)} ms, max ${fmt(maxBefore, 1)} ms)`,
    );
    results.push({
      metric: `compaction of ${fmt(n)} change ids past the horizon (SQLite, FULL)`,
      value: `${fmt(report.ms / 1000, 2)} s`,
      target: '≤ 2 s',
      pass: report.ms <= 2000 && report.changeIds >= n,
    });
    results.push({
      metric: 'longest compaction step holding the SQLite writer (a push waits for at most one)',
      value: `${fmt(report.maxStepMs, 1)} ms`,
      target: '≤ 50 ms',
      pass: report.maxStepMs <= 50,
    });
    results.push({
      metric: 'slowest push (one change) answered during that compaction, 4 devices pushing',
      value: `${fmt(maxDuring, 1)} ms (p99 ${fmt(percentile(during, 99), 1)}; before: max ${fmt(maxBefore, 1)})`,
      target: '—',
      pass: true,
    });
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

if (process.argv[2] === '--server') await serverChild(process.argv[3]);
