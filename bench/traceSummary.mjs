#!/usr/bin/env node
// Summarises a Chromium trace (playwright `browser.startTracing`, Trace Event JSON): self time per
// event name on the renderer's main thread (CrRendererMain), i.e. what the page's main thread
// spent its time on, JavaScript or not (layout, paint, IndexedDB, parsing, GC…). Complete events
// (`ph: 'X'`) and begin/end pairs are nested per thread by time; an event's self time is its
// duration minus its children's.
//   node bench/traceSummary.mjs <trace.json> [N=40]
import { readFileSync } from 'node:fs';
import process from 'node:process';
import console from 'node:console';

const [file, n = '40'] = process.argv.slice(2);
if (!file) throw new Error('usage: traceSummary.mjs <trace.json> [N]');
const raw = JSON.parse(readFileSync(file, 'utf8'));
const events = Array.isArray(raw) ? raw : raw.traceEvents;
const main = new Set(
  events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => `${e.pid}:${e.tid}`),
);
// Spans per thread: [start, end, name].
const spans = new Map();
const open = new Map();
for (const e of events) {
  const key = `${e.pid}:${e.tid}`;
  if (!main.has(key)) continue;
  let list = spans.get(key);
  if (!list) spans.set(key, (list = []));
  if (e.ph === 'X' && typeof e.dur === 'number') list.push([e.ts, e.ts + e.dur, e.name]);
  else if (e.ph === 'B') {
    let stack = open.get(key);
    if (!stack) open.set(key, (stack = []));
    stack.push(e);
  } else if (e.ph === 'E') {
    const b = open.get(key)?.pop();
    if (b) list.push([b.ts, e.ts, b.name]);
  }
}
const self = new Map();
let busy = 0;
for (const list of spans.values()) {
  // Longer first at equal starts, so a parent precedes its children.
  list.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const stack = [];
  const credit = (name, us) => self.set(name, (self.get(name) ?? 0) + us);
  for (const [s, e, name] of list) {
    while (stack.length && stack[stack.length - 1].end <= s) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) credit(parent.name, -(Math.min(e, parent.end) - s));
    else busy += e - s;
    credit(name, e - s);
    stack.push({ end: e, name });
  }
}
const ms = (us) => (us / 1000).toFixed(1).padStart(9);
console.log(`${file}: main thread busy ${ms(busy)} ms (top-level events)`);
for (const [name, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${ms(us)}  ${name}`);
