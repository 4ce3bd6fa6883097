// Shared helpers for the sync benchmark: spawning the real CLI server, percentiles, tokens.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createDatabase } from '@fieldsync/client';
import { signToken } from '@fieldsync/server';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
// FIELDSYNC_BENCH_CLI: another server build to compare against (e.g. an older commit's dist/cli.js).
export const CLI = process.env.FIELDSYNC_BENCH_CLI ?? join(ROOT, 'packages/server/dist/cli.js');
export const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
export const PG_URL = process.env.FIELDSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export const WORK_ORDER = {
  name: 'workOrder',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'in_progress', 'done', 'cancelled'] },
    priority: { type: 'number' },
    site: { type: 'string' },
  },
};

/** Starts `fieldsync serve` as a child process on a random port of 127.0.0.1. */
export async function serve(args) {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ') ?? []),
      CLI,
      'serve',
      '--port',
      '0',
      '--rate-per-second',
      '1000000',
      ...args,
    ],
    {
      env: { ...process.env, FIELDSYNC_JWT_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    const on = (b) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    url,
    pid: child.pid,
    /** CPU seconds (user + system, all threads) the server process has used so far; NaN off Linux. */
    cpu: () => serverCpu(child.pid),
    /** CPU seconds per thread: the main thread, then the others (worker threads, libuv pool, V8), busiest first. */
    threads: () => threadCpu(child.pid),
    stop: () =>
      new Promise((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      }),
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU seconds of a /proc `stat` file: utime + stime in clock ticks (USER_HZ = 100). Throws if unreadable. */
function statCpu(path) {
  const f = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN off Linux. */
export function processCpu(pid) {
  return serverCpu(pid);
}

function serverCpu(pid) {
  try {
    return statCpu(`/proc/${pid}/stat`);
  } catch {
    return NaN;
  }
}

function threadCpu(pid) {
  const out = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.set(Number(tid), statCpu(`/proc/${pid}/task/${tid}/stat`));
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Per-thread CPU used between two `threads()` snapshots: "main 3.10 s, others 2.05 · 0.31 s". */
export function threadDelta(before, after, pid) {
  const d = [...after].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)]).filter(([, t]) => t >= 0.05);
  const main = d.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = d
    .filter(([tid]) => tid !== pid)
    .map(([, t]) => t)
    .sort((a, b) => b - a);
  return `main thread ${main.toFixed(2)} s, other threads ${others.map((t) => t.toFixed(2)).join(' · ') || '—'} s`;
}

/**
 * Write → remote live query latency: the reader's live query of the probe work orders
 * (`site: 'lat'`); a writer puts `performance.now()` in `started` under a probe's title just
 * before inserting it, and `lat` gets each probe's delay once, when the query first shows it.
 */
export function watchProbes(reader) {
  const started = new Map();
  const lat = [];
  const seen = new Set();
  const stop = reader
    .collection('workOrder')
    .find({ site: 'lat' })
    .subscribe((docs) => {
      const now = performance.now();
      for (const d of docs) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        const t = started.get(d.title);
        if (t !== undefined) lat.push(now - t);
      }
    });
  return { started, lat, stop };
}

/**
 * The probe writer and reader of the latency and load runs: two real client databases of tenant
 * `live`, each its own user, connected last (so written to last); resolves once both are live.
 */
export async function probeClients(url) {
  const mk = async (user) => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      sync: { url, token: await signToken(SECRET, { user, tenant: 'live' }) },
    });
    await db.defineType(WORK_ORDER);
    return db;
  };
  const writer = await mk('writer');
  const reader = await mk('reader');
  for (let i = 0; i < 500 && !(writer.sync.status.live && reader.sync.status.live); i++)
    await new Promise((r) => setTimeout(r, 20));
  return { writer, reader };
}
