// Child process of the load run (load.js): N devices, each pushing one change at a time at a
// steady rate for a fixed time, so the measuring process and the SSE load process do not also
// pay for it. Each device signs in as its own user with its own replica id (a device), and
// writes new work orders and updates of its own earlier ones. Prints one JSON line at the end:
// { pushes, changes, errors, firstError, p50, p99 (push round trip, ms), cpu (this process, s) }.
import { HybridLogicalClock, createChange, applyChange } from '@fieldsync/core';
import { signToken } from '@fieldsync/server';
import { WORK_ORDER } from './common.js';
import { keepAliveAgent, postJson } from './httpPost.js';

const [url, secret, nRaw, rateRaw, secondsRaw, tenant] = process.argv.slice(2);
const n = Number(nRaw);
const rate = Number(rateRaw); // pushes per second per device
const seconds = Number(secondsRaw);
const lat = [];
let pushes = 0;
let changes = 0;
let errors = 0;
let firstError;
const STATUSES = ['open', 'in_progress', 'done', 'cancelled'];
const end = performance.now() + seconds * 1000;

async function device(i) {
  const token = await signToken(secret, { user: `pusher-${i}`, tenant });
  // One connection per device, as on a phone: it is reused every push, so it never sits idle
  // past the server's keep-alive timeout (a pool shared by all devices left spare sockets idle,
  // and one push in 6,000 met a socket the server was closing: ECONNRESET).
  const agent = keepAliveAgent(1);
  const clock = new HybridLogicalClock({ replica: `pusher-${i}-${process.pid}` });
  const mine = []; // [id, state] of this device's documents
  // Start spread over one period, so the devices do not push in lockstep.
  let next = performance.now() + Math.random() * (1000 / rate);
  for (let k = 0; ; k++) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (performance.now() >= end) return agent.destroy();
    next += 1000 / rate;
    const old = k % 2 === 1 && mine.length > 0 ? mine[Math.floor(Math.random() * mine.length)] : undefined;
    const change = createChange({
      clock,
      type: WORK_ORDER,
      doc: old?.[1],
      intents: old
        ? [{ op: 'set', path: ['status'], value: STATUSES[k % 4] }]
        : [
            { op: 'set', path: ['title'], value: `Load ${i}-${k}` },
            { op: 'set', path: ['status'], value: 'open' },
            { op: 'set', path: ['site'], value: `site-${k % 50}` },
          ],
    });
    const t0 = performance.now();
    try {
      const res = await postJson(agent, `${url}/v1/push`, token, JSON.stringify({ changes: [change] }));
      lat.push(performance.now() - t0);
      pushes++;
      const result = res.status === 200 ? JSON.parse(res.text).results[0] : undefined;
      if (result?.status !== 'ok') throw new Error(`push answered ${res.status}: ${res.text.slice(0, 200)}`);
      changes++;
      const state = applyChange(old?.[1], change, WORK_ORDER);
      if (old) old[1] = state;
      else mine.push([change.doc, state]);
    } catch (e) {
      errors++;
      firstError ??= e instanceof Error ? e.message : String(e);
    }
  }
}

await Promise.all(Array.from({ length: n }, (_, i) => device(i)));
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : NaN);
const used = process.cpuUsage();
const cpu = (used.user + used.system) / 1e6;
process.stdout.write(
  JSON.stringify({ pushes, changes, errors, firstError, p50: pct(50), p99: pct(99), cpu }) + '\n',
);
