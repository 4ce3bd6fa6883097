// Measures one library on one trace in a fresh process (so heap numbers and JIT state are its
// own) and prints one JSON line. Usage: node --expose-gc worker.js <lib> <trace> [runs]
import { loadTrace } from './traces.js';

const [lib, traceName, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 5);
const L = (await import(`./libs/${lib}.js`)).default;
const trace = loadTrace(traceName);
const { data } = trace;

const mem = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const settle = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

function replaySequential() {
  const doc = L.create(0);
  if (data.startContent) L.ins(doc, 0, data.startContent);
  if (L.runSequential) L.runSequential(doc, data.txns);
  else {
    for (const txn of data.txns) {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) L.del(doc, pos, del);
        if (ins.length > 0) L.ins(doc, pos, ins);
      }
    }
  }
  return [doc];
}

/** One replica per agent; before its own edits a replica applies exactly its parents' history. */
function replayConcurrent() {
  const n = data.numAgents;
  const reps = Array.from({ length: n }, (_, i) => L.create(i));
  const seen = reps.map(() => new Uint8Array(data.txns.length));
  const updates = [];
  const bring = (a, roots) => {
    const s = seen[a];
    const stack = [...roots];
    while (stack.length > 0) {
      const p = stack[stack.length - 1];
      if (s[p] === 1) {
        stack.pop();
        continue;
      }
      const missing = data.txns[p].parents.filter((q) => s[q] !== 1);
      if (missing.length > 0 && s[p] !== 2) {
        s[p] = 2;
        stack.push(...missing);
        continue;
      }
      stack.pop();
      s[p] = 1;
      L.apply(reps[a], updates[p]);
    }
  };
  data.txns.forEach((txn, i) => {
    const a = txn.agent;
    bring(a, txn.parents);
    const doc = reps[a];
    const token = L.begin(doc);
    if (L.runTxn) L.runTxn(doc, txn.patches);
    else {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) L.del(doc, pos, del);
        if (ins.length > 0) L.ins(doc, pos, ins);
      }
    }
    updates[i] = L.end(doc, token);
    seen[a][i] = 1;
  });
  const all = data.txns.map((_, i) => i);
  for (let a = 0; a < n; a++) bring(a, all);
  // The updates are the harness's, not the document's: empty the list so that nothing that may
  // still reach this closure's context (V8 keeps it, at random, through optimised code) makes
  // them count as the document's heap growth (+3.4 MB on friendsforever when it happened).
  updates.length = 0;
  return reps;
}

const replay = trace.kind === 'sequential' ? replaySequential : replayConcurrent;
const times = [];
const cpuTimes = [];
let reps = null;
for (let r = 0; r <= RUNS; r++) {
  reps = null;
  settle();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = replay();
  const t = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (r > 0 || t > 3000) {
    // run 0 warms the JIT unless it is slow anyway
    times.push(t);
    cpuTimes.push((c.user + c.system) / 1000);
  }
  if (times.length >= RUNS) break;
  reps = out;
}
reps = null;
settle();
const h0 = mem();
reps = replay();
settle();
const heap = mem() - h0;
for (const d of reps)
  if (L.text(d) !== data.endContent)
    throw new Error(`${lib}: ${traceName} replay does not reproduce endContent`);
const bytes = L.encode(reps[0]);
const dtimes = [];
for (let r = 0; r <= RUNS; r++) {
  settle();
  const t0 = performance.now();
  const text = L.decode(bytes);
  const t = performance.now() - t0;
  if (text !== data.endContent) throw new Error(`${lib}: decode of ${traceName} is wrong`);
  if (r > 0) dtimes.push(t);
}
const applyMs = median(times);
console.log(
  JSON.stringify({
    lib,
    trace: traceName,
    patches: trace.patches,
    runs: times.length,
    applyMs,
    applyCpuMs: median(cpuTimes),
    minApplyMs: Math.min(...times),
    opsPerSec: trace.patches / (applyMs / 1000),
    heapBytes: heap,
    encodedBytes: bytes.length,
    decodeMs: median(dtimes),
    keep: reps.length,
  }),
);
