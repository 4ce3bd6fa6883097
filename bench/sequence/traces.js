// Editing traces from ../shared/bench-data (read in place, never copied into the repository).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const BENCH_DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/bench-data');

export const TRACES = [
  { name: 'automerge-paper', file: 'sequential_traces/automerge-paper.json.gz', kind: 'sequential' },
  { name: 'seph-blog1', file: 'sequential_traces/seph-blog1.json.gz', kind: 'sequential' },
  { name: 'friendsforever', file: 'concurrent_traces/friendsforever.json.gz', kind: 'concurrent' },
];

export function loadTrace(name) {
  const t = TRACES.find((x) => x.name === name);
  if (!t) throw new Error(`unknown trace ${name}`);
  const data = JSON.parse(gunzipSync(readFileSync(join(BENCH_DATA, t.file))).toString('utf8'));
  let patches = 0;
  for (const txn of data.txns) patches += txn.patches.length;
  return { ...t, data, patches };
}
