// Sequence CRDT benchmark: every trace with every library, each in its own process.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRACES } from './traces.js';

const here = dirname(fileURLToPath(import.meta.url));
export const LIBS = ['fieldsync', 'json-joy', 'loro', 'yjs', 'automerge'];
const FILE = {
  fieldsync: 'fieldsync',
  'json-joy': 'jsonjoy',
  loro: 'loro',
  yjs: 'yjs',
  automerge: 'automerge',
};

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function run({ libs = LIBS, traces = TRACES.map((t) => t.name), runs = 5 } = {}) {
  const results = [];
  for (const trace of traces) {
    for (const lib of libs) {
      process.stderr.write(`sequence: ${trace} / ${lib} ...\n`);
      try {
        const out = execFileSync(
          process.execPath,
          [
            '--expose-gc',
            '--max-old-space-size=4096',
            join(here, 'worker.js'),
            FILE[lib],
            trace,
            String(runs),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        results.push({ ...JSON.parse(out.trim().split('\n').pop()), lib });
      } catch (e) {
        results.push({ lib, trace, error: String(e.message).split('\n')[0] });
      }
    }
  }
  const rows = [
    [
      'trace',
      'library',
      'apply (median)',
      'apply (min)',
      'apply CPU (median)',
      'ops/s',
      'heap growth',
      'encoded',
      'decode (median)',
    ],
  ];
  for (const r of results) {
    if (r.error) rows.push([r.trace, r.lib, `error: ${r.error}`, '', '', '', '', '', '']);
    else
      rows.push([
        r.trace,
        r.lib,
        `${r.applyMs.toFixed(1)} ms`,
        `${r.minApplyMs.toFixed(1)} ms`,
        `${r.applyCpuMs.toFixed(1)} ms`,
        Math.round(r.opsPerSec).toLocaleString('en-US'),
        mb(r.heapBytes),
        kb(r.encodedBytes),
        `${r.decodeMs.toFixed(2)} ms`,
      ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  const line = (row) => `| ${row.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ')} |`;
  console.log(
    '\nSequence CRDT (apply = replay every patch; median of runs; ops/s from the median; heap = retained heap+external after GC; kB = 1000 bytes)',
  );
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows.slice(1)) console.log(line(row));
  writeFileSync(
    join(here, 'results.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n',
  );
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const pick = (flag) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1].split(',') : undefined;
  };
  await run({ libs: pick('--libs'), traces: pick('--traces'), runs: Number(pick('--runs')?.[0] ?? 5) });
}
