// Bulk-load CPU of fieldsync alone: `insertMany` of the suite's 100,000 work orders into a fresh
// memory database with the suite's two indexes, timed as process CPU (user + system) and wall,
// median of `--runs` loads in one process. CPU time is steadier than wall time on a shared machine.
//   node --expose-gc bench/collections/bulkCpu.js [--runs 7]
import { pathToFileURL } from 'node:url';
import { createDatabase } from '@fieldsync/client';
import { workOrders, workOrderType as type } from './data.js';
import { gc, median, now } from './measure.js';

export async function run({ runs = 7 } = {}) {
  const rows = workOrders();
  const cpu = [];
  const wall = [];
  for (let r = 0; r < runs + 1; r++) {
    const copy = structuredClone(rows);
    gc();
    const c0 = process.cpuUsage();
    const t0 = now();
    const db = await createDatabase({ name: 'bench', replicaId: 'bench' });
    await db.defineType(type);
    const orders = db.collection('workOrders');
    orders.createIndex(['status', 'site']);
    orders.createIndex('updatedAt', { kind: 'ordered' });
    await orders.insertMany(copy);
    const t1 = now();
    const c1 = process.cpuUsage(c0);
    await db.close();
    if (r === 0) continue; // warm-up
    cpu.push((c1.user + c1.system) / 1000);
    wall.push(t1 - t0);
  }
  console.log(
    `bulk load of 100,000: CPU median ${median(cpu).toFixed(0)} ms, wall median ${median(wall).toFixed(0)} ms (${runs} runs; CPU ${cpu.map((x) => x.toFixed(0)).join(' ')})`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--runs');
  await run({ runs: i >= 0 ? Number(args[i + 1]) : 7 });
}
