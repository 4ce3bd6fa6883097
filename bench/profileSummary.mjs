#!/usr/bin/env node
// Summarises a .cpuprofile (Chromium DevTools or `node --cpu-prof`): self and inclusive time per
// function (name, file:line), the top N by self time, and the sampled total.
//   node bench/profileSummary.mjs <file.cpuprofile> [N=40] [filter]
// `filter` keeps only functions whose name or URL contains it (inclusive time still counts every
// sample below them).
import { readFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';

const [file, n = '40', filter] = process.argv.slice(2);
if (!file) throw new Error('usage: profileSummary.mjs <file.cpuprofile> [N] [filter]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);

// Time per sample: the delta after it (the profiler's own convention).
const selfUs = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = deltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
}
const keyOf = (node) => {
  const f = node.callFrame;
  const url = f.url ? f.url.replace(/^.*\//, '') : '';
  return `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
};
const self = new Map();
const incl = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  total += us;
  const node = nodes.get(id);
  const k = keyOf(node);
  self.set(k, (self.get(k) ?? 0) + us);
  // Inclusive: once per function per sample stack (recursion counted once).
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = keyOf(nodes.get(cur));
    if (seen.has(key)) continue;
    seen.add(key);
    incl.set(key, (incl.get(key) ?? 0) + us);
  }
}
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
console.log(`${file}: ${ms(total)} ms sampled`);
console.log(`${'self ms'.padStart(8)} ${'incl ms'.padStart(8)}  function`);
const rows = [...self.entries()]
  .filter(([k]) => !filter || k.includes(filter))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(n));
for (const [k, us] of rows) console.log(`${ms(us)} ${ms(incl.get(k) ?? 0)}  ${k}`);
