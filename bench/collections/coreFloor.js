// The floor set by core for the bulk-load and heap columns: createChange + applyChange +
// materialize for the same 100,000 rows, no client layer (no indexes, outbox, storage).
// Usage: node --expose-gc bench/collections/coreFloor.js [intents]   (after building @fieldsync/core)
// Default: createInsertChange (what the client's insertMany uses); `intents`: createChange with
// one set intent per field (what a loop of insert() uses).
import {
  applyChange,
  createChange,
  createInsertChange,
  HybridLogicalClock,
  materialize,
} from '@fieldsync/core';
import { workOrders, workOrderType as type } from './data.js';
import { heapUsed, now } from './measure.js';

const viaIntents = process.argv[2] === 'intents';
const rows = workOrders();
const clock = new HybridLogicalClock({ replica: 'bench' });
const h0 = heapUsed();
const t0 = now();
const states = new Map();
const docs = new Map();
const changes = [];
for (const r of rows) {
  let change;
  if (viaIntents) {
    const intents = [];
    for (const k in r) if (k !== 'id') intents.push({ op: 'set', path: [k], value: r[k] });
    change = createChange({ clock, type, doc: undefined, docId: r.id, intents });
  } else change = createInsertChange(clock, type, r.id, r, 'id');
  const state = applyChange(undefined, change, type);
  states.set(r.id, state);
  changes.push(change);
  docs.set(r.id, materialize(state, type));
}
const ms = now() - t0;
const heap = heapUsed() - h0;
const raw = Buffer.byteLength(JSON.stringify(rows));
console.log(
  `core only (${viaIntents ? 'createChange + intents' : 'createInsertChange'}): ${ms.toFixed(0)} ms, heap ${(heap / 1048576).toFixed(1)} MB = ${(heap / raw).toFixed(2)}× raw JSON (${states.size} states, ${changes.length} changes, ${docs.size} docs)`,
);
