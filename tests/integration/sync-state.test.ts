import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RejectedWriteError, SYNCED, createDatabase, type Database, type SyncState } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { WORK_ORDER, testServer, waitFor, type TestServer } from '../../testing/server/harness.js';

/**
 * Issue 17, part 2: per-document sync state and each write's server acknowledgement, with real
 * clients and a real server over HTTP.
 */
describe('per-document sync state and server acknowledgements', () => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-syncstate-'));
  const dbs: Database[] = [];
  const open = async (user: string, o: { file?: string; role?: string } = {}): Promise<Database> => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      ...(o.file ? { storage: new SqliteStorage(join(dir, o.file)) } : {}),
      sync: {
        url: srv.url,
        token: await srv.token(user, 'acme', { role: o.role ?? 'tech' }),
        autoStart: false,
      },
    });
    if (!db.typeFor('workOrder')) await db.defineType(WORK_ORDER);
    dbs.push(db);
    return db;
  };
  beforeAll(async () => {
    srv = await testServer({
      permissions: {
        // A finished work order is closed to technicians: their later edits of it are refused.
        types: { workOrder: { write: (u, doc) => doc['status'] !== 'done' || u.claims['role'] === 'admin' } },
      },
    });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close().catch(() => undefined);
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offline writes show pending (count, oldest); reconnect flips each to synced in one live update and settles every server promise', async () => {
    const db = await open('anna');
    const orders = db.collection('workOrder');
    const before = Date.now();
    const a = orders.insert({ title: 'A', status: 'open' });
    const idA = await a;
    const idB = await orders.insert({ title: 'B' });
    const u1 = orders.update(idA, { $set: { priority: 1 } });
    await u1;
    await orders.update(idA, { $set: { priority: 2 } });
    const t = db.transaction(() => {
      void orders.update(idB, { $set: { site: 'north' } });
      void orders.insert({ title: 'C' });
    });
    await t;
    const text = orders.text(idB, 'notes').insert(0, 'hello');
    await text;
    const idC = orders.findOne({ title: 'C' })!.id as string;
    const stA = db.syncState.of(idA);
    expect(stA).toMatchObject({ status: 'pending', pending: 3 });
    expect(stA.status === 'pending' && stA.since).toBeGreaterThanOrEqual(before - 1);
    expect(db.syncState.of(idB)).toMatchObject({ status: 'pending', pending: 3 });
    expect(db.syncState.of(idC)).toMatchObject({ status: 'pending', pending: 1 });
    expect(db.syncState.of('no-such-doc')).toBe(SYNCED);
    expect(db.syncState.waiting().map((w) => w.id)).toEqual([idA, idB, idC]);
    expect(db.syncState.count).toBe(3);

    // Nothing is acknowledged while offline.
    let settled = false;
    void Promise.all([a.server, u1.server, t.server, text.server]).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);

    const seen = new Map<string, SyncState[]>();
    const stops = [idA, idB, idC].map((id) =>
      db.syncState.watch(id, (s) => seen.set(id, [...(seen.get(id) ?? []), s])),
    );
    let waitingLists = 0;
    const stopList = db.syncState.watchWaiting(() => waitingLists++);
    await db.sync!.flush();
    await Promise.all([a.server, u1.server, t.server, text.server]);
    await waitFor(() => db.syncState.count === 0);
    for (const id of [idA, idB, idC]) {
      const states = seen.get(id)!;
      expect(states[0]!.status).toBe('pending'); // the call to watch
      expect(states.slice(1)).toEqual([SYNCED]); // exactly one live update: pending -> synced
    }
    expect(waitingLists).toBe(2); // now, and once when the batch was acknowledged
    stops.forEach((s) => s());
    stopList();
    expect(db.syncState.waiting()).toEqual([]);
    // A later write settles at the next sync; whenSynced of synced documents resolves at once.
    const later = orders.update(idC, { $set: { priority: 5 } });
    await later;
    expect(db.syncState.of(idC)).toMatchObject({ status: 'pending', pending: 1 });
    await db.sync!.flush();
    await later.server;
    await db.syncState.whenSynced([idA, idB, idC]);
  });

  it('a change the server refuses shows rejected with its reason, and the write’s server promise rejects', async () => {
    const boss = await open('boss', { role: 'admin' });
    const closed = await boss.collection('workOrder').insert({ title: 'closed', status: 'done' });
    await boss.sync!.flush();
    const ben = await open('ben');
    await ben.sync!.flush();
    const orders = ben.collection('workOrder');
    const refused = orders.update(closed, { $set: { title: 'reopened by ben' } });
    await refused; // durable locally
    const fine = orders.insert({ title: 'new one' });
    const fineId = await fine;
    const failure = refused.server.then(
      () => undefined,
      (e: unknown) => e,
    );
    await ben.sync!.flush();
    const err = await failure;
    expect(err).toBeInstanceOf(RejectedWriteError);
    expect(err).toMatchObject({ docId: closed, collection: 'workOrder', serverCode: 'forbidden' });
    await fine.server;
    const st = ben.syncState.of(closed);
    expect(st).toMatchObject({ status: 'rejected', code: 'forbidden', rejected: 1, pending: 0 });
    expect(st.status === 'rejected' && st.reason).toBe(ben.rejectedChanges()[0]!.reason);
    expect(ben.syncState.of(fineId)).toBe(SYNCED);
    expect(ben.syncState.waiting().map((w) => [w.id, w.state.status])).toEqual([[closed, 'rejected']]);
    await expect(ben.syncState.whenSynced(closed)).rejects.toBeInstanceOf(RejectedWriteError);
    // Discarding the rejected change returns the document to synced.
    await ben.rejectedChanges()[0]!.discard();
    await waitFor(() => ben.syncState.of(closed) === SYNCED);
  });

  it('after a restart, a query for a document tells whether it still waits; whenSynced settles once it is stored', async () => {
    const file = 'carl.sqlite';
    let carl = await open('carl', { file });
    const orders = carl.collection('workOrder');
    const sent = await orders.insert({ title: 'sent' });
    await carl.sync!.flush();
    const waiting = await orders.insert({ title: 'waiting' });
    await orders.update(waiting, { $set: { priority: 3 } });
    await carl.close();
    dbs.splice(dbs.indexOf(carl), 1);

    carl = await open('carl', { file });
    expect(carl.syncState.of(sent)).toBe(SYNCED);
    expect(carl.syncState.of(waiting)).toMatchObject({ status: 'pending', pending: 2 });
    const done = carl.syncState.whenSynced(waiting);
    await carl.sync!.flush();
    await done;
    expect(carl.syncState.of(waiting)).toBe(SYNCED);
  });
});
