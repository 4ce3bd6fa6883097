// Child process for the kill test: writes work orders to a SQLite file as fast as it can and
// prints each id only after its write's promise resolved. Runs on the built package (dist).
import { createDatabase } from '@fieldsync/client';
import process from 'node:process';
import { SqliteStorage } from '@fieldsync/client/sqlite';

const file = process.argv[2];
const db = await createDatabase({ name: 'kill', storage: new SqliteStorage(file), replicaId: 'child' });
await db.defineType({
  name: 'workOrders',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'done'] },
    n: { type: 'number' },
  },
});
const orders = db.collection('workOrders');
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  // Alternate single writes and updates so both paths are exercised.
  const id = await orders.insert({ title: `order ${i}`, status: 'open', n: i });
  process.stdout.write(`insert ${id} ${i}\n`);
  if (i % 3 === 0) {
    await orders.update(id, { $set: { status: 'done' } });
    process.stdout.write(`update ${id}\n`);
  }
}
