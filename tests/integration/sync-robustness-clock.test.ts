import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { formatStamp, parseStamp } from '@fieldsync/core';
import { CorePeer, WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const TEN_MIN = 10 * 60_000;

/** Issue 11, case 2: a device clock running fast loses nothing, and a forged stamp wins nothing. */
describe.each(engines)('wrong clocks lose nothing (%s)', (engine) => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-clock-'));
  const dbs: Database[] = [];
  const open = async (user: string, o: { now?: () => number; file?: string } = {}) => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      ...(o.now ? { now: o.now } : {}),
      ...(o.file ? { storage: new SqliteStorage(join(dir, o.file)) } : {}),
      sync: { url: srv.url, token: await srv.token(user, 'acme'), autoStart: false },
    });
    if (!db.typeFor('workOrder')) await db.defineType(WORK_ORDER);
    dbs.push(db);
    return db;
  };
  const serverDoc = async (id: string) => {
    const reader = new CorePeer(srv.url, await srv.token('reader', 'acme'), `reader${Date.now()}`);
    await reader.pull();
    return reader.docs.get(id);
  };
  const fields = async (id: string) => {
    const reader = await open(`r${dbs.length}`);
    await reader.sync!.flush();
    return reader.collection('workOrder').findOne(id);
  };

  beforeAll(async () => {
    srv = await testServer({ engine });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a device 10 min fast: offline work lands on the first sync, stamped by the server-corrected clock', async () => {
    const anna = await open('anna-fast', { now: () => Date.now() + TEN_MIN });
    const id = await anna.collection('workOrder').insert({ title: 'Pump', status: 'open' });
    await anna.collection('workOrder').update(id, { $set: { status: 'in_progress' }, $inc: { priority: 2 } });
    const offlineStamp = anna.clock.last!;
    expect(parseStamp(offlineStamp).wall - Date.now()).toBeGreaterThan(TEN_MIN - 5000);

    await anna.sync!.flush();
    expect(anna.rejectedChanges()).toEqual([]);
    expect(anna.sync!.status).toMatchObject({ pending: 0, rejected: 0 });
    expect(await fields(id)).toMatchObject({ title: 'Pump', status: 'in_progress', priority: 2 });
    // Its clock now follows the server's: new stamps are within seconds of real time.
    await anna.collection('workOrder').update(id, { $set: { team: 'north' } });
    expect(Math.abs(parseStamp(anna.clock.last!).wall - Date.now())).toBeLessThan(5000);
    await anna.sync!.flush();
    expect(anna.rejectedChanges()).toEqual([]);
    expect(await fields(id)).toMatchObject({ team: 'north', priority: 2 });
    // Local and server state are the same document (the local stamps were rewritten too).
    expect(anna.collection('workOrder').findOne(id)).toEqual(await fields(id));
  });

  it('restart with a corrected clock: the persisted clock was ahead; old and new writes both land', async () => {
    let anna = await open('anna-restart', { now: () => Date.now() + TEN_MIN, file: `anna-${engine}.sqlite` });
    const early = await anna.collection('workOrder').insert({ title: 'written while fast' });
    await anna.close();
    dbs.splice(dbs.indexOf(anna), 1);

    anna = await open('anna-restart', { file: `anna-${engine}.sqlite` }); // the clock was corrected
    expect(parseStamp(anna.clock.last!).wall).toBeLessThanOrEqual(Date.now() + 1000);
    const late = await anna.collection('workOrder').insert({ title: 'written after the fix' });
    await anna.sync!.flush();
    expect(anna.rejectedChanges()).toEqual([]);
    expect(await fields(early)).toMatchObject({ title: 'written while fast' });
    expect(await fields(late)).toMatchObject({ title: 'written after the fix' });
  });

  it('a re-issued change is a new write at re-issue time: it wins over what was written before, loses to what comes after', async () => {
    const ben = await open('ben-order');
    const id = await ben.collection('workOrder').insert({ title: 'Valve', status: 'open' });
    await ben.sync!.flush();
    const file = `anna-order-${engine}.sqlite`;
    let anna = await open('anna-order', { now: () => Date.now() + TEN_MIN, file });
    await anna.sync!.flush(); // Anna pulls once...
    await anna.close();
    dbs.splice(dbs.indexOf(anna), 1);
    // ...then, after a restart (the server's time is not known yet), works offline, clock fast.
    anna = await open('anna-order', { now: () => Date.now() + TEN_MIN, file });
    await anna.collection('workOrder').update(id, { $set: { status: 'done' } });
    expect(parseStamp(anna.clock.last!).wall - Date.now()).toBeGreaterThan(TEN_MIN - 5000);
    // Ben writes the same field later in real time (but earlier than Anna's fast stamp).
    await ben.collection('workOrder').update(id, { $set: { status: 'in_progress' } });
    await ben.sync!.flush();
    await new Promise((r) => setTimeout(r, 50)); // real time passes (more than the clocks' error)
    // Anna comes back: her change is re-issued now, after Ben's: it wins, Ben's is kept as a conflict.
    await anna.sync!.flush();
    await ben.sync!.flush();
    expect(await fields(id)).toMatchObject({ status: 'done' });
    expect(
      ben
        .collection('workOrder')
        .conflicts(id, 'status')
        .map((c) => c.value),
    ).toContain('in_progress');
    // A write after the re-issue wins over it: the fast clock did not buy Anna the field.
    await ben.collection('workOrder').update(id, { $set: { status: 'open' } });
    await ben.sync!.flush();
    await anna.sync!.flush();
    expect(await fields(id)).toMatchObject({ status: 'open' });
    expect(anna.collection('workOrder').findOne(id)).toMatchObject({ status: 'open' });
  });

  it('a forged far-future stamp is still rejected, and never lands through a re-issue', async () => {
    const ben = await open('ben-forge');
    const id = await ben.collection('workOrder').insert({ title: 'Gate', status: 'open' });
    await ben.sync!.flush();
    const mallory = new CorePeer(srv.url, await srv.token('mallory', 'acme'), 'mallory');
    await mallory.pull();
    const forged = mallory.change(id, [{ op: 'set', path: ['status'], value: 'done' }]);
    const future = formatStamp(Date.now() + 365 * 24 * 3600_000, 0, 'mallory');
    const res = await mallory.push([{ ...forged, id: future, stamp: future }]);
    expect(res.body.results[0]).toMatchObject({ status: 'rejected', error: { code: 'clock_drift' } });
    expect(await serverDoc(id)).toBeDefined();
    expect(await fields(id)).toMatchObject({ status: 'open' });
  });
});
