// Busy tenants side by side (`npm run bench:sync`, BENCH_SYNC_ONLY=tenants): the same 8 concurrent
// pushers either all write one tenant, or each writes a tenant of its own. Every tenant has its
// own sequence (docs/protocol.md, "The cursor"); on PostgreSQL a write holds only its tenant's
// lock, so 8 tenants can commit in parallel where 1 tenant's writers take turns. Measured per
// engine: changes/s and pushes/s of both shapes, push latency p50/p99, server CPU per change.
// FIELDSYNC_BENCH_CLI runs another server build (e.g. the commit before per-tenant sequences).
import pg from 'pg';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HybridLogicalClock, createChange } from '@fieldsync/core';
import { signToken } from '@fieldsync/server';
import { PG_URL, SECRET, WORK_ORDER, fmt, percentile, serve } from './common.js';
import { keepAliveAgent, postJson } from './httpPost.js';

const PUSHERS = Number(process.env.BENCH_TENANTS_PUSHERS ?? 8);
const PUSHES = Number(process.env.BENCH_TENANTS_PUSHES ?? 150); // per pusher and round
const BATCH = Number(process.env.BENCH_TENANTS_BATCH ?? 10); // changes per push
const ROUNDS = Number(process.env.BENCH_TENANTS_ROUNDS ?? 2);

/** `count` push bodies of `BATCH` new work orders each, written by replica `replica`. */
function bodies(replica, count) {
  const clock = new HybridLogicalClock({ replica });
  const out = [];
  for (let b = 0; b < count; b++) {
    const changes = [];
    for (let i = 0; i < BATCH; i++) {
      changes.push(
        createChange({
          clock,
          type: WORK_ORDER,
          doc: undefined,
          intents: [
            { op: 'set', path: ['title'], value: `Order ${b}-${i}` },
            { op: 'set', path: ['status'], value: 'open' },
            { op: 'set', path: ['priority'], value: i % 5 },
          ],
        }),
      );
    }
    out.push(JSON.stringify({ changes }));
  }
  return out;
}

/**
 * One pusher: its bodies in order, one request at a time over its own keep-alive connection (the
 * same generator as the one-change-per-push run, httpPost.js); latencies appended to `lat`.
 */
async function pusher(url, token, list, lat) {
  const agent = keepAliveAgent(1);
  try {
    for (const body of list) {
      const t0 = performance.now();
      const res = await postJson(agent, `${url}/v1/push`, token, body);
      lat.push(performance.now() - t0);
      const json = JSON.parse(res.text);
      if (res.status !== 200 || json.results.some((r) => r.status !== 'ok'))
        throw new Error(`push failed ${res.status}: ${res.text.slice(0, 300)}`);
    }
  } finally {
    agent.destroy();
  }
}

/** PUSHERS concurrent pushers spread over `tenants` tenants; returns the figures of one round. */
async function round(srv, label, tenants, tag) {
  const tokens = [];
  for (let t = 0; t < tenants; t++)
    tokens.push(await signToken(SECRET, { user: 'bench', tenant: `${label}-${tenants}-${tag}-${t}` }));
  const work = Array.from({ length: PUSHERS }, (_, p) => bodies(`r${tenants}x${tag}x${p}`, PUSHES));
  const lat = [];
  const cpu0 = srv.cpu();
  const t0 = performance.now();
  await Promise.all(work.map((list, p) => pusher(srv.url, tokens[p % tenants], list, lat)));
  const s = (performance.now() - t0) / 1000;
  const cpu = srv.cpu() - cpu0;
  const changes = PUSHERS * PUSHES * BATCH;
  lat.sort((a, b) => a - b);
  return {
    rate: changes / s,
    pushes: (PUSHERS * PUSHES) / s,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    cpuPerChange: (cpu / changes) * 1e6,
  };
}

async function engine(label, args, results, log) {
  const srv = await serve(args);
  try {
    // Warm-up (JIT, pool connections, page cache) with both shapes, not measured.
    await round(srv, label, 1, 'warm');
    await round(srv, label, PUSHERS, 'warm');
    const by = { 1: [], [PUSHERS]: [] };
    for (let r = 0; r < ROUNDS; r++)
      for (const tenants of [1, PUSHERS]) by[tenants].push(await round(srv, label, tenants, `r${r}`));
    for (const tenants of [1, PUSHERS]) {
      const rs = by[tenants];
      const mean = (k) => rs.reduce((a, x) => a + x[k], 0) / rs.length;
      log(
        `tenants ${label}, ${tenants} busy tenant${tenants > 1 ? 's' : ''} (${PUSHERS} pushers, ${BATCH} changes/push): ` +
          `${fmt(mean('rate'))} changes/s = ${fmt(mean('pushes'))} pushes/s (rounds: ${rs.map((x) => fmt(x.rate)).join(', ')}); ` +
          `push p50 ${fmt(mean('p50'), 1)} ms, p99 ${fmt(mean('p99'), 1)} ms; server CPU ${fmt(mean('cpuPerChange'), 1)} µs/change`,
      );
      results.push({
        metric: `changes/s, ${tenants} busy tenant${tenants > 1 ? 's' : ''}, ${label} (${PUSHERS} pushers × ${BATCH} changes/push)`,
        value: fmt(mean('rate')),
        target: '—',
        pass: true,
      });
    }
    const one = by[1].reduce((a, x) => a + x.rate, 0);
    const many = by[PUSHERS].reduce((a, x) => a + x.rate, 0);
    log(`tenants ${label}: ${PUSHERS} tenants / 1 tenant = ${fmt(many / one, 2)}×`);
  } finally {
    await srv.stop();
  }
}

/** Runs the suite on SQLite and (when reachable) PostgreSQL. BENCH_TENANTS_ENGINES=sqlite,postgres. */
export async function tenantsThroughput(dir, results, log) {
  const engines = (process.env.BENCH_TENANTS_ENGINES ?? 'sqlite,postgres').split(',');
  const types = join(dir, 'tenants-types.json');
  writeFileSync(types, JSON.stringify([WORK_ORDER]));
  if (engines.includes('sqlite'))
    await engine('SQLite', ['--data', join(dir, 'tenants-sqlite'), '--types', types], results, log);
  if (!engines.includes('postgres')) return;
  const schema = `bench_tenants_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (e) {
    log(`PostgreSQL unreachable (${e.message}); skipping the PostgreSQL tenants run`);
    return;
  }
  try {
    await engine('PostgreSQL', ['--postgres', PG_URL, '--schema', schema, '--types', types], results, log);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}
