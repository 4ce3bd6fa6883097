import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import type { TypeDef } from '@fieldsync/core';
import { WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** This device's definition has a field the server does not know: changes writing it are refused. */
const EXTENDED: TypeDef = { ...WORK_ORDER, fields: { ...WORK_ORDER.fields, secret: { type: 'string' } } };

/**
 * Issue 11, case 5 and "rejected work is visible and actionable": set-aside changes persist
 * across restarts, are counted truthfully, and can be retried or discarded (the document then
 * returns to the server's state); a refused migration can be dropped.
 */
describe.each(engines)('rejected work is visible and actionable (%s)', (engine) => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-rejected-'));
  const dbs: Database[] = [];
  const open = async (
    user: string,
    o: { type?: TypeDef; file?: string; role?: string } = {},
  ): Promise<Database> => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      ...(o.file ? { storage: new SqliteStorage(join(dir, o.file)) } : {}),
      sync: {
        url: srv.url,
        token: await srv.token(user, 'acme', { role: o.role ?? 'worker' }),
        autoStart: false,
      },
    });
    if (!db.typeFor('workOrder')) await db.defineType(o.type ?? WORK_ORDER);
    dbs.push(db);
    return db;
  };
  const onServer = async (id: string) => {
    const reader = await open(`reader-${dbs.length}`);
    await reader.sync!.flush();
    return reader.collection('workOrder').findOne(id);
  };
  beforeAll(async () => {
    srv = await testServer({
      engine,
      permissions: {
        defineTypes: (u) => u.claims['role'] === 'admin',
        types: {
          // A finished work order is closed to workers.
          workOrder: { write: (u, doc) => doc['status'] !== 'done' || u.claims['role'] === 'admin' },
        },
      },
    });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('set-aside changes survive a restart, are counted, and discard() returns the document to the server state', async () => {
    const ben = await open('ben', { role: 'admin' });
    const shared = await ben.collection('workOrder').insert({ title: 'A', status: 'open' });
    await ben.sync!.flush();

    const file = `anna-${engine}.sqlite`;
    let anna = await open('anna', { type: EXTENDED, file });
    await anna.sync!.flush();
    await anna.collection('workOrder').update(shared, { $set: { title: 'B', secret: 'x' } });
    const mine = await anna.collection('workOrder').insert({ title: 'mine', secret: 'y' });
    await anna.sync!.flush();
    expect(anna.rejectedChanges()).toHaveLength(2);
    expect(anna.sync!.status).toMatchObject({ rejected: 2, pending: 0 });

    await anna.close();
    dbs.splice(dbs.indexOf(anna), 1);
    anna = await open('anna', { file });
    const rejected = anna.rejectedChanges();
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^invalid_change/),
      expect.stringMatching(/^invalid_change/),
    ]);
    await new Promise((r) => setTimeout(r, 10)); // the status counts asynchronously at open
    expect(anna.sync!.status.rejected).toBe(2); // counted from storage, not from this session
    expect(anna.collection('workOrder').findOne(shared)).toMatchObject({ title: 'B', secret: 'x' });

    const byDoc = (doc: string) => rejected.find((r) => (r.change as { doc: string }).doc === doc)!;
    await byDoc(shared).discard();
    expect(anna.collection('workOrder').findOne(shared)).toEqual(await onServer(shared));
    expect(anna.collection('workOrder').findOne(shared)).toMatchObject({ title: 'A', status: 'open' });
    await byDoc(mine).discard(); // the server never had it: it goes away
    expect(anna.collection('workOrder').findOne(mine)).toBeUndefined();
    expect(anna.rejectedChanges()).toEqual([]);
    await anna.sync!.flush();
    expect(anna.sync!.status).toMatchObject({ rejected: 0, pending: 0 });

    await anna.close(); // the discards are durable
    dbs.splice(dbs.indexOf(anna), 1);
    anna = await open('anna', { file });
    expect(anna.rejectedChanges()).toEqual([]);
    expect(anna.collection('workOrder').findOne(shared)).toMatchObject({ title: 'A' });
  });

  it('retry() queues a refused change again as a new write, which lands once the cause is gone', async () => {
    const admin = await open('ada', { role: 'admin' });
    const id = await admin.collection('workOrder').insert({ title: 'Gate', status: 'done' });
    await admin.sync!.flush();
    const walt = await open('walt');
    await walt.sync!.flush();
    await walt.collection('workOrder').update(id, { $set: { title: 'Gate (checked)' } });
    await walt.sync!.flush();
    const [refused] = walt.rejectedChanges();
    expect(refused?.reason).toMatch(/^forbidden/);

    await admin.collection('workOrder').update(id, { $set: { status: 'open' } });
    await admin.sync!.flush();
    await refused!.retry();
    expect(walt.rejectedChanges()).toEqual([]);
    expect(walt.sync!.status.pending).toBe(1);
    await walt.sync!.flush();
    expect(walt.sync!.status).toMatchObject({ pending: 0, rejected: 0 });
    expect(await onServer(id)).toMatchObject({ title: 'Gate (checked)', status: 'open' });
  });

  it('a refused migration can be dropped: the device returns to the server version of the type and its documents', async () => {
    const admin = await open('adam', { role: 'admin' });
    const id = await admin.collection('workOrder').insert({ title: 'Valve', status: 'open' });
    await admin.sync!.flush();
    const walt = await open('walt-m');
    await walt.sync!.flush();
    await walt.migrateType('workOrder', [{ op: 'addField', field: 'secret', def: { type: 'string' } }]);
    await walt.collection('workOrder').update(id, { $set: { secret: 'nobody sees this', team: 'w' } });
    await walt.sync!.flush();
    expect(walt.rejectedTypes()).toHaveLength(1);
    expect(walt.types.get('workOrder')!.version).toBe(2);

    const dropped = await walt.discardLocalType('workOrder');
    expect(dropped).toBeGreaterThanOrEqual(0);
    expect(walt.rejectedTypes()).toEqual([]);
    expect(walt.typesToPush()).toEqual([]);
    expect(walt.types.get('workOrder')!.version).toBe(1);
    expect(walt.collection('workOrder').findOne(id)).toEqual(await onServer(id));
    expect(walt.collection('workOrder').findOne(id)).not.toHaveProperty('secret');

    // Back on the shared version: new work reaches everyone.
    await walt.collection('workOrder').update(id, { $set: { team: 'walt' } });
    await walt.sync!.flush();
    expect(walt.rejectedChanges()).toEqual([]);
    expect(await onServer(id)).toMatchObject({ team: 'walt', title: 'Valve' });
  });
});
