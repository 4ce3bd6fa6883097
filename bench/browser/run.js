// Browser storage benchmark (issue 15): fieldsync on IndexedDB and TinyBase 10 with its IndexedDB
// persister side by side in ONE headless Chromium (Debian /usr/bin/chromium, playwright-core) with
// an on-disk profile, plus the first sync of 100,000 documents from `fieldsync serve` into an
// empty browser database (its time, and the main thread's long tasks meanwhile). Run:
// `npm run bench:browser` (builds first). Options:
//   BENCH_BROWSER_RUNS=5 (runs per size, median reported), BENCH_BROWSER_SIZES=10000,100000,
//   BENCH_BROWSER_SYNC=100000 (0 skips the first-sync part), BENCH_BROWSER_PROFILE=1 (CPU profiles
//   of fieldsync's load and open into bench/browser/profiles/, via the DevTools protocol).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { HybridLogicalClock, createInsertChange } from '@fieldsync/core';
import { signToken } from '@fieldsync/server';
import { SECRET, serve } from '../sync/common.js';
import { workOrderType, workOrders } from '../collections/data.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.FIELDSYNC_TEST_CHROMIUM ?? '/usr/bin/chromium';
const RUNS = Number(process.env.BENCH_BROWSER_RUNS ?? 5);
const SIZES = (process.env.BENCH_BROWSER_SIZES ?? '10000,100000').split(',').map(Number);
const SYNC_DOCS = Number(process.env.BENCH_BROWSER_SYNC ?? 100_000);
const PROFILE = process.env.BENCH_BROWSER_PROFILE === '1';
const log = (...a) => console.log(...a);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The page: fieldsync's built client and TinyBase in one ESM bundle, served by `fieldsync serve --app`. */
async function buildPage(dir) {
  const out = await build({
    entryPoints: [join(here, 'page.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'page.js'), out.outputFiles[0].text);
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/page.js"></script>',
  );
}

/** `count` new work orders pushed to the server as one user (the first sync pulls them). */
async function seed(url, token, count) {
  const rows = workOrders(count);
  const clock = new HybridLogicalClock({ replica: 'seed' });
  for (let i = 0; i < count; i += 1000) {
    const changes = rows
      .slice(i, i + 1000)
      .map(({ id, ...values }) => createInsertChange(clock, workOrderType, id, values));
    const res = await fetch(`${url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ changes }),
    });
    if (!res.ok) throw new Error(`seed push: ${res.status} ${await res.text()}`);
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-bench-browser-'));
  const app = join(dir, 'app');
  await buildPage(app);
  const typesFile = join(dir, 'types.json');
  writeFileSync(typesFile, JSON.stringify([workOrderType]));
  const srv = await serve(['--data', join(dir, 'data'), '--types', typesFile, '--app', app]);
  let ctx;
  const results = { when: new Date().toISOString(), loadStart: load() };
  try {
    // An on-disk profile (a persistent context): IndexedDB is on disk, as on a device.
    ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    results.chromium = ctx.browser()?.version();
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const open = async () => {
      await page.goto(srv.url);
      await page.waitForFunction(() => window.benchReady === true);
    };
    const call = (fn, ...args) => page.evaluate(([f, a]) => window.bench[f](...a), [fn, args]);
    const cdp = PROFILE ? await ctx.newCDPSession(page) : undefined;
    const profiled = async (label, fn) => {
      if (!cdp) return fn();
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      try {
        return await fn();
      } finally {
        const { profile } = await cdp.send('Profiler.stop');
        mkdirSync(join(here, 'profiles'), { recursive: true });
        writeFileSync(join(here, 'profiles', `${label}.cpuprofile`), JSON.stringify(profile));
      }
    };
    await open();
    results.sizes = {};
    for (const n of SIZES) {
      const r = { fieldsync: { load: [], open: [] }, tinybase: { load: [], open: [] } };
      const runs = n >= 100_000 ? Math.max(3, Math.ceil(RUNS / 2) + 1) : RUNS;
      for (let i = 0; i < runs; i++) {
        const order = i % 2 ? ['tinybase', 'fieldsync'] : ['fieldsync', 'tinybase'];
        for (const lib of order) {
          const name = `${lib}-${n}-${i}`;
          await open();
          const l = await (lib === 'fieldsync'
            ? profiled(`fieldsync-load-${n}`, () => call('fieldsyncLoad', name, n))
            : call('tinybaseLoad', name, n));
          if (l.check !== n) throw new Error(`${lib} load of ${n}: ${JSON.stringify(l.check)}`);
          await open(); // a fresh page: nothing of the database left in memory
          const o = await (lib === 'fieldsync'
            ? profiled(`fieldsync-open-${n}`, () => call('fieldsyncOpen', name))
            : call('tinybaseOpen', name));
          if (o.check.count !== n || o.check.first === 0)
            throw new Error(`${lib} open of ${n}: ${JSON.stringify(o.check)}`);
          r[lib].load.push(l.ms);
          r[lib].open.push(o.ms);
          await call('drop', name);
          log(
            `${n} #${i + 1} ${lib}: load ${l.ms.toFixed(0)} ms, open ${o.ms.toFixed(0)} ms (load avg ${load()})`,
          );
        }
      }
      results.sizes[n] = r;
    }
    if (SYNC_DOCS > 0) {
      const token = await signToken(SECRET, { user: 'seed', tenant: 'bench' });
      await seed(srv.url, token, SYNC_DOCS);
      const times = [];
      /** Main-thread tasks over 50 ms during each sync (how usable the page stayed). */
      const tasks = [];
      for (let i = 0; i < Math.max(1, Math.ceil(RUNS / 2)); i++) {
        await open();
        const name = `first-sync-${i}`;
        const s = await profiled('fieldsync-first-sync', () =>
          call('fieldsyncFirstSync', name, token, SYNC_DOCS),
        );
        times.push(s.ms);
        tasks.push(s.longTasks);
        await call('drop', name);
        log(
          `first sync of ${SYNC_DOCS} #${i + 1}: ${s.ms.toFixed(0)} ms, last progress ${JSON.stringify(s.progress.at(-1))}, ` +
            `long tasks ${s.longTasks.count} (longest ${s.longTasks.longest.toFixed(0)} ms, ${s.longTasks.blocked.toFixed(0)} ms in all: ${s.longTasks.all.join(' ')}) (load avg ${load()})`,
        );
      }
      results.firstSync = { docs: SYNC_DOCS, ms: times, longTasks: tasks };
    }
  } finally {
    await ctx?.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  results.loadEnd = load();
  log(
    `\nChromium ${results.chromium ?? ''}; load average ${results.loadStart} → ${results.loadEnd}; median of runs (ms)`,
  );
  log('| records | library | durable bulk load | cold open |');
  log('|---:|---|---:|---:|');
  for (const [n, r] of Object.entries(results.sizes ?? {}))
    for (const lib of ['fieldsync', 'tinybase'])
      log(
        `| ${Number(n).toLocaleString('en-US')} | ${lib} | ${median(r[lib].load).toFixed(0)} | ${median(r[lib].open).toFixed(0)} |`,
      );
  if (results.firstSync)
    log(
      `first sync of ${results.firstSync.docs.toLocaleString('en-US')} documents: median ${median(results.firstSync.ms).toFixed(0)} ms (${results.firstSync.ms.map((x) => x.toFixed(0)).join(', ')}); ` +
        `longest main-thread task ${results.firstSync.longTasks.map((t) => t.longest.toFixed(0)).join(', ')} ms`,
    );
  const out = join(here, 'results.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  // Laid out as the repository's formatter wants it, so a rerun leaves format:check green.
  spawnSync(process.execPath, [join(here, '../../node_modules/prettier/bin/prettier.cjs'), '--write', out]);
}

export async function run() {
  await main();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
