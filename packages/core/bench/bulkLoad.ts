// Quick measurement (not a test): create + apply + materialize 100,000 small documents with six
// scalar fields, and the heap they occupy. Run: node --expose-gc (after: npx esbuild packages/core/bench/bulkLoad.ts --bundle --platform=node --format=esm --outfile=/tmp/bulkLoad.mjs) /tmp/bulkLoad.mjs
import {
  applyChange,
  createChange,
  HybridLogicalClock,
  materialize,
  type DocState,
  type TypeDef,
} from '../src/index.js';

const N = 100_000;
const type: TypeDef = {
  name: 'WorkOrder',
  version: 1,
  fields: {
    title: { type: 'string' },
    status: { type: 'enum', values: ['open', 'in_progress', 'done'] },
    priority: { type: 'number' },
    done: { type: 'boolean' },
    due: { type: 'date' },
    site: { type: 'string' },
  },
};
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const clock = new HybridLogicalClock({ replica: 'bench' });
const raw = Array.from({ length: N }, (_, i) => ({
  title: `Work order ${i}`,
  status: i % 3 === 0 ? 'open' : i % 3 === 1 ? 'in_progress' : 'done',
  priority: i % 5,
  done: i % 2 === 0,
  due: '2026-11-25',
  site: `Site ${i % 100}`,
}));
function load(): { docs: DocState[]; views: unknown[]; ms: number; cpu: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const docs: DocState[] = new Array(N);
  const views: unknown[] = new Array(N);
  for (let i = 0; i < N; i++) {
    const r = raw[i]!;
    const change = createChange({
      clock,
      type,
      doc: undefined,
      intents: [
        { op: 'set', path: ['title'], value: r.title },
        { op: 'set', path: ['status'], value: r.status },
        { op: 'set', path: ['priority'], value: r.priority },
        { op: 'set', path: ['done'], value: r.done },
        { op: 'set', path: ['due'], value: r.due },
        { op: 'set', path: ['site'], value: r.site },
      ],
    });
    const doc = applyChange(undefined, change, type);
    docs[i] = doc;
    views[i] = materialize(doc);
  }
  const c1 = process.cpuUsage(c0);
  return { docs, views, ms: performance.now() - t0, cpu: (c1.user + c1.system) / 1000 };
}

const rawBytes = JSON.stringify(raw).length;
const rawWithIds = (docs: DocState[]): number => JSON.stringify(docs.map((d) => materialize(d))).length;
// Retained size = heap with the documents held minus heap after releasing them (both after a full GC).
const ROUNDS = Number(process.env.ROUNDS ?? 5);
for (let round = 0; round < ROUNDS; round++) {
  gc();
  // eslint-disable-next-line prefer-const -- reassigned below to release the documents
  let { docs, views, ms, cpu } = load();
  gc();
  const withBoth = process.memoryUsage().heapUsed;
  views = [];
  gc();
  const statesOnly = process.memoryUsage().heapUsed;
  const jsonBytes = rawWithIds(docs);
  docs = [];
  gc();
  const none = process.memoryUsage().heapUsed;
  console.log(
    `round ${round}: ${ms.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU (incl. GC threads) for ${N} x (createChange + applyChange + materialize); ` +
      `retained: DocStates ${((statesOnly - none) / 1e6).toFixed(1)} MB, + materialized views ${((withBoth - none) / 1e6).toFixed(1)} MB; ` +
      `raw JSON ${(rawBytes / 1e6).toFixed(1)} MB without ids, ${(jsonBytes / 1e6).toFixed(1)} MB with ids`,
  );
  void docs;
  void views;
}
