// Load run (`BENCH_SYNC_ONLY=load`; issue 13): 1,000 SSE clients and 50 pushing devices for 60 s
// against the real `fieldsync serve` (SQLite), then the same with 50 never-reading streams added.
// Reported per round: pushes/s, write → remote live query p50/p99 (a real client database with a
// live query, connected last, probed every PROBE_MS while the devices push), write → SSE receipt
// over all the other streams, errors (failed or cut streams, failed pushes, the client's sync
// errors), server RSS before the devices start and its peak growth during the round.
// Processes: server; SSE load (sseLoad.js, 999 streams); devices (pushers.js); this one (the two
// real clients, the never-reading sockets, RSS sampling). All share the machine's cores.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { signToken } from '@fieldsync/server';
import { SECRET, fmt, percentile, probeClients, processCpu, serve, watchProbes } from './common.js';

const SSE_CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 1000);
const PUSHERS = Number(process.env.BENCH_LOAD_PUSHERS ?? 50);
const RATE = Number(process.env.BENCH_LOAD_RATE ?? 2); // pushes/s per device
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const NEVER_READING = Number(process.env.BENCH_LOAD_NEVER_READING ?? 50);
const PROBE_MS = 250;
// `normal` runs the server with synchronous=NORMAL (no fsync per commit): separates disk waits from CPU.
const SQLITE_SYNC = process.env.BENCH_LOAD_SQLITE_SYNC;

/** Resident set size of a process in MB (Linux), NaN elsewhere. */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Opens `n` SSE requests that are never read (paused sockets); resolves once all are sent. */
async function neverReadingStreams(url, n) {
  const { hostname, port } = new URL(url);
  const sockets = [];
  for (let i = 0; i < n; i++) {
    const token = await signToken(SECRET, { user: `idle-${i}`, tenant: 'live' });
    const s = net.connect(Number(port), hostname);
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.write(`GET /v1/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    s.pause(); // never read: the server sees a full socket once the kernel buffers fill
    sockets.push(s);
  }
  return sockets;
}

/** Waits for a child's stdout to match `re`; resolves the match. */
function expectLine(child, re, ms, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    child.stdout.on('data', (b) => {
      out += b.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    });
  });
}

async function round(dir, typesFile, neverReading, results, log) {
  const srv = await serve([
    '--data',
    join(dir, `load-${neverReading}`),
    '--types',
    typesFile,
    ...(SQLITE_SYNC ? ['--sqlite-sync', SQLITE_SYNC] : []),
  ]);
  const sse = spawn(
    process.execPath,
    [new URL('./sseLoad.js', import.meta.url).pathname, srv.url, SECRET, String(SSE_CLIENTS - 1)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let idle = [];
  const dbs = [];
  try {
    await expectLine(sse, /ready/, 120_000, 'SSE clients');
    idle = await neverReadingStreams(srv.url, neverReading);
    const { writer, reader } = await probeClients(srv.url);
    dbs.push(writer, reader);
    let syncErrors = 0;
    let firstSyncError;
    for (const db of dbs) {
      let prev;
      db.sync.subscribe((s) => {
        if (s.lastError && s.lastError !== prev) {
          syncErrors++;
          firstSyncError ??= s.lastError;
        }
        prev = s.lastError;
      });
    }
    const { started, lat, stop } = watchProbes(reader);
    const rss0 = rssMb(srv.pid);
    let rssPeak = rss0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(srv.pid))), 500);
    const cpu0 = srv.cpu();
    const sseCpu0 = processCpu(sse.pid);
    const devices = spawn(
      process.execPath,
      [
        new URL('./pushers.js', import.meta.url).pathname,
        srv.url,
        SECRET,
        String(PUSHERS),
        String(RATE),
        String(SECONDS),
        'live',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const devicesDone = expectLine(devices, /^\{.*\}$/m, (SECONDS + 120) * 1000, 'pushers').then((m) =>
      JSON.parse(m[0]),
    );
    const t0 = performance.now();
    let probes = 0;
    for (let i = 0; performance.now() - t0 < SECONDS * 1000; i++) {
      const title = `lat-${i}`;
      started.set(title, performance.now());
      probes++;
      await writer.collection('workOrder').insert({ title, site: 'lat', status: 'open' });
      await new Promise((r) => setTimeout(r, PROBE_MS));
    }
    const pushed = await devicesDone;
    const wall = (performance.now() - t0) / 1000;
    const cpu = srv.cpu() - cpu0;
    const sseCpu = processCpu(sse.pid) - sseCpu0;
    for (let i = 0; i < 300 && lat.length < probes; i++) await new Promise((r) => setTimeout(r, 10));
    clearInterval(sampler);
    const rss1 = rssMb(srv.pid);
    stop();
    lat.sort((a, b) => a - b);
    const startedWall = {};
    for (const [title, t] of started) startedWall[title.slice(4)] = performance.timeOrigin + t;
    sse.stdin.write(JSON.stringify(startedWall) + '\n');
    const m = await expectLine(
      sse,
      /events (\d+) received (\d+) p50 (\S+) p99 (\S+) spread (\S+) failed (\d+) dropped (\d+)/,
      60_000,
      'SSE summary',
    );
    const all = {
      events: Number(m[1]),
      received: Number(m[2]),
      p50: Number(m[3]),
      p99: Number(m[4]),
      failed: Number(m[6]),
      dropped: Number(m[7]),
    };
    const missed = probes - lat.length;
    const errors = pushed.errors + all.failed + all.dropped + syncErrors + missed;
    const label = `${SSE_CLIENTS} SSE clients + ${PUSHERS} devices${neverReading ? ` + ${neverReading} never-reading streams` : ''}`;
    const p50 = percentile(lat, 50);
    const p99 = percentile(lat, 99);
    log(
      `load (${label}, ${SECONDS} s): devices ${fmt(pushed.pushes / wall, 1)} pushes/s (${fmt(pushed.changes)} ok, ${pushed.errors} failed${pushed.firstError ? `: ${pushed.firstError}` : ''}; push p50 ${fmt(pushed.p50, 1)} ms, p99 ${fmt(pushed.p99, 1)} ms); ` +
        `live query ${lat.length}/${probes} probes p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms; other streams: ${fmt(all.received)} receipts, p50 ${fmt(all.p50, 1)} ms, p99 ${fmt(all.p99, 1)} ms, ${all.failed} refused, ${all.dropped} cut; client sync errors ${syncErrors}${firstSyncError ? ` (${firstSyncError})` : ''}; ` +
        `server RSS ${fmt(rss0)} MB before the devices, peak +${fmt(rssPeak - rss0)} MB, end +${fmt(rss1 - rss0)} MB; server CPU ${fmt(cpu, 1)} s, SSE load process ${fmt(sseCpu, 1)} s, devices process ${fmt(pushed.cpu, 1)} s (${SQLITE_SYNC ? `synchronous=${SQLITE_SYNC}` : 'synchronous=FULL'})`,
    );
    results.push({
      metric: `load: pushes/s (${label})`,
      value: fmt(pushed.pushes / wall, 1),
      target: '—',
      pass: true,
    });
    results.push({
      metric: `load: write → remote live query p50 / p99 (${label})`,
      value: `${fmt(p50, 1)} / ${fmt(p99, 1)} ms`,
      target: 'p99 ≤ 100 ms',
      pass: p99 <= 100,
    });
    results.push({
      metric: `load: errors (${label})`,
      value: String(errors),
      target: '0',
      pass: errors === 0,
    });
    results.push({
      metric: `load: server RSS growth, peak (${label})`,
      value: `${fmt(rssPeak - rss0)} MB`,
      target: '≤ 300 MB',
      pass: rssPeak - rss0 <= 300,
    });
    devices.kill('SIGKILL');
  } finally {
    for (const s of idle) s.destroy();
    for (const db of dbs) await db.close();
    sse.kill('SIGKILL');
    await srv.stop();
  }
}

/** Both rounds: without and with never-reading streams. */
export async function loadRuns(dir, typesFile, results, log) {
  await round(dir, typesFile, 0, results, log);
  if (NEVER_READING > 0) await round(dir, typesFile, NEVER_READING, results, log);
}
