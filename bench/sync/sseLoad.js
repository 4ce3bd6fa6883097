// Child process: holds N SSE connections open and counts events, so the measuring process does
// not also pay for parsing N streams. Prints "ready" once every stream sent its `ready` event.
// It also notes when each stream received each latency probe write (documents titled `lat-<n>`,
// wall clock via performance.timeOrigin, comparable across processes on one machine): on stdin
// the parent sends `{ "<n>": startWallMs, ... }` and gets back the receive latency over ALL
// streams, not only the one measured client.
import http from 'node:http';
import { SseParser } from '@fieldsync/core';
import { signToken } from '@fieldsync/server';

// `secret`: each stream signs in as a user of its own (`load-<i>`, tenant `live`), since the server
// allows one user only a few streams (Limits.maxStreamsPerUser).
const [url, secret, nRaw] = process.argv.slice(2);
const n = Number(nRaw);
let ready = 0;
let events = 0;
// Streams refused (not 200, or no connection) and streams the server ended before we closed them.
let failed = 0;
let dropped = 0;
let closing = false;
const arrivals = []; // [n, wallMs] per stream and probe write
const LAT = /"lat-(\d+)"/g;
// node:http with a string decoder per socket rather than fetch + web streams: the load process
// must not be the bottleneck (fetch's stream pipeline cost ~5x more CPU per event here).
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const reqs = [];
for (let i = 0; i < n; i++) {
  const parser = new SseParser((m) => {
    if (m.event === 'ready' && ++ready === n) process.stdout.write('ready\n');
    if (m.event === 'sync') {
      events++;
      const now = performance.timeOrigin + performance.now();
      for (const x of m.data.matchAll(LAT)) arrivals.push([Number(x[1]), now]);
    }
  });
  const req = http.get(
    `${url}/v1/events`,
    {
      agent,
      headers: { authorization: `Bearer ${await signToken(secret, { user: `load-${i}`, tenant: 'live' })}` },
    },
    (res) => {
      if (res.statusCode !== 200) failed++;
      res.setEncoding('utf8');
      res.on('data', (chunk) => parser.push(chunk));
      res.on('error', () => undefined);
      res.on('close', () => closing || dropped++);
    },
  );
  req.on('error', () => closing || failed++);
  reqs.push(req);
}
let input = '';
process.stdin.on('data', (b) => {
  input += b.toString();
  if (!input.endsWith('\n')) return;
  const started = JSON.parse(input);
  const lat = [];
  for (const [k, t] of arrivals) if (started[k] !== undefined) lat.push(t - started[k]);
  lat.sort((a, b) => a - b);
  const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);
  // Spread of one write's receipts over the streams (last minus first): how long the fan-out took.
  const span = new Map();
  for (const [k, t] of arrivals) {
    if (started[k] === undefined) continue;
    const s = span.get(k) ?? [t, t];
    span.set(k, [Math.min(s[0], t), Math.max(s[1], t)]);
  }
  const spread = [...span.values()].map(([a, b]) => b - a).sort((a, b) => a - b);
  process.stdout.write(
    `events ${events} received ${lat.length} p50 ${pct(lat, 50)} p99 ${pct(lat, 99)} spread ${pct(spread, 50)} failed ${failed} dropped ${dropped}\n`,
  );
  closing = true;
  for (const r of reqs) r.destroy();
  setTimeout(() => process.exit(0), 50);
});
