// Local database benchmark: fieldsync vs TinyBase vs SignalDB on 100,000 work orders, one process.
// As a suite of bench/run.js (exports run()), or alone:
//   node --expose-gc bench/collections/run.js [--runs 3] [--only fieldsync,tinybase,signaldb]
// Needs built packages: npm run build -w @fieldsync/core -w @fieldsync/client
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { workOrders } from './data.js';
import { median } from './measure.js';

export async function run({ runs = 3, only = ['fieldsync', 'tinybase', 'signaldb'] } = {}) {
  const rows = workOrders();
  const rawBytes = Buffer.byteLength(JSON.stringify(rows));
  const libs = {
    fieldsync: () => import('./fieldsync.js'),
    tinybase: () => import('./tinybase.js'),
    signaldb: () => import('./signaldb.js'),
  };

  const results = {};
  for (const name of only) {
    const { run } = await libs[name]();
    const all = [];
    for (let r = 0; r < runs; r++) {
      // Each run gets its own copy so no library sees objects another one touched.
      all.push(await run(structuredClone(rows)));
      process.stderr.write(`${name} run ${r + 1}/${runs}: ${JSON.stringify(all.at(-1))}\n`);
    }
    results[name] = Object.fromEntries(Object.keys(all[0]).map((k) => [k, median(all.map((x) => x[k]))]));
  }

  const ms = (x) =>
    x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x >= 0.01 ? x.toFixed(3) : x.toFixed(4);
  const mb = (b) => (b / 1048576).toFixed(1);
  console.log(
    `\n100,000 work orders, raw JSON ${mb(rawBytes)} MB; median of ${runs} runs; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}\n`,
  );
  console.log(
    '| library | bulk load (ms) | equality status+site (ms) | range+sort+limit 50 (ms) | 1 update → 10 live queries (ms) | heap (MB) | heap / raw JSON |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `| ${name} | ${ms(r.load)} | ${ms(r.eq)} | ${ms(r.range)} | ${ms(r.live)}${r.liveDurable !== undefined ? ` (durable ${ms(r.liveDurable)})` : ''} | ${mb(r.heap)} | ${(r.heap / rawBytes).toFixed(2)}× |`,
    );
  }
  // fieldsync only: what showing each row's sync state adds to a list (issue 17).
  if (only.includes('fieldsync')) await (await import('./syncState.js')).run();
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  await run({ runs: Number(opt('runs', '3')), only: opt('only', 'fieldsync,tinybase,signaldb').split(',') });
}
