import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { Text, toBase64, type TypeDef } from '@fieldsync/core';
import { CorePeer, WORK_ORDER, testServer, waitFor, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** Real clients (`createDatabase({ sync })`) against a real server. */
describe.each(engines)('client sync end to end (%s)', (engine) => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-client-'));
  const dbs: Database[] = [];
  const open = async (
    user: string,
    opts: { storage?: SqliteStorage; type?: TypeDef; live?: boolean } = {},
  ) => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      ...(opts.storage ? { storage: opts.storage } : {}),
      sync: {
        url: srv.url,
        token: await srv.token(user, 'acme'),
        autoStart: false,
        initialMs: 20,
        maxMs: 200,
        ...(opts.live === false ? { live: false } : {}),
      },
    });
    if (!db.typeFor('workOrder')) await db.defineType(opts.type ?? WORK_ORDER);
    dbs.push(db);
    return db;
  };
  beforeAll(async () => {
    srv = await testServer({ engine });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two clients edit the same work order offline (different fields, same field) → identical state, loser superseded', async () => {
    const anna = await open('anna');
    const ben = await open('ben');
    const id = await anna.collection('workOrder').insert({ title: 'Pump #42', status: 'open' });
    await anna.sync!.flush();
    await ben.sync!.flush();
    expect(ben.collection('workOrder').findOne(id)).toMatchObject({ title: 'Pump #42', status: 'open' });

    await anna
      .collection('workOrder')
      .update(id, { $set: { status: 'in_progress', 'address.street': 'Main St 1' } });
    await ben
      .collection('workOrder')
      .update(id, { $addToSet: { tags: 'needs-part' }, $set: { 'address.city': 'Basel' } });
    await ben.collection('workOrder').update(id, { $set: { status: 'done' } });
    await waitFor(() => ben.sync!.status.pending === 2); // queued locally, visible while offline
    await anna.sync!.flush();
    await ben.sync!.flush();
    await anna.sync!.flush();

    const a = anna.collection('workOrder').findOne(id);
    const b = ben.collection('workOrder').findOne(id);
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      status: 'done',
      tags: ['needs-part'],
      address: { street: 'Main St 1', city: 'Basel' },
    });
    expect(
      anna
        .collection('workOrder')
        .conflicts(id, 'status')
        .map((s) => s.value),
    ).toContain('in_progress');
    expect(ben.collection('workOrder').conflicts(id, 'status')).toEqual(
      anna.collection('workOrder').conflicts(id, 'status'),
    );
    expect(anna.sync!.status).toMatchObject({ pending: 0, lastError: undefined });
  });

  it('concurrent edits of the same text merge without losing either insertion', async () => {
    const anna = await open('anna-t');
    const id = await anna.collection('workOrder').insert({ title: 'Text', notes: 'Need part.' });
    await anna.sync!.flush();
    // Two core replicas edit the text offline, each at a different place.
    const token = await srv.token('x', 'acme');
    const p1 = new CorePeer(srv.url, token, 'p1');
    const p2 = new CorePeer(srv.url, token, 'p2');
    await p1.pull();
    await p2.pull();
    const edit = (p: CorePeer, replica: string, at: number, s: string) => {
      const live = p.docs.get(id)!.fields['notes'] as Text;
      const t = Text.decode(live.encode(), replica);
      const v = t.version;
      t.insert(at, s);
      return p.change(id, [{ op: 'seq', path: ['notes'], update: toBase64(t.encodeSince(v)) }]);
    };
    const c1 = edit(p1, 'p1', 0, 'URGENT: ');
    const c2 = edit(p2, 'p2', 10, ' Ordered.');
    await p1.push([c1]);
    await p2.push([c2]);
    await anna.sync!.flush();
    expect(anna.collection('workOrder').findOne(id)?.['notes']).toBe('URGENT: Need part. Ordered.');
  });

  it("live: a write on one client reaches the other client's live query over SSE", async () => {
    const anna = await open('anna-l');
    const ben = await open('ben-l');
    ben.sync!.start();
    anna.sync!.start();
    await waitFor(() => ben.sync!.status.live && anna.sync!.status.live);
    let seen: unknown[] = [];
    const stop = ben
      .collection('workOrder')
      .find({ title: 'live one' })
      .subscribe((r) => (seen = r as unknown[]));
    await anna.collection('workOrder').insert({ title: 'live one' });
    await waitFor(() => seen.length === 1);
    stop();
    await anna.sync!.stop();
    await ben.sync!.stop();
    expect(ben.sync!.status.running).toBe(false);
  });

  it('a change the server rejects is set aside visibly and never blocks the changes behind it', async () => {
    // This client's type has a field the server does not know: the server rejects that change.
    const extended: TypeDef = { ...WORK_ORDER, fields: { ...WORK_ORDER.fields, secret: { type: 'string' } } };
    const anna = await open('anna-r', { type: extended });
    const bad = await anna.collection('workOrder').insert({ title: 'bad', secret: 'x' });
    const good = await anna.collection('workOrder').insert({ title: 'good' });
    await anna.sync!.flush();
    expect(anna.sync!.status).toMatchObject({ pending: 0, rejected: 1 });
    const rejected = anna.rejectedChanges();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toMatch(/invalid_change|secret/);
    const reader = new CorePeer(srv.url, await srv.token('r', 'acme'), 'reader');
    await reader.pull();
    expect(reader.docs.has(good)).toBe(true);
    expect(reader.docs.has(bad)).toBe(false);
  });

  it('resumes after a restart: the outbox survives, the cursor is persisted, the next pull is a delta', async () => {
    const file = join(dir, `anna-${engine}.sqlite`);
    let anna = await open('anna-p', { storage: new SqliteStorage(file) });
    await anna.sync!.flush();
    const offlineId = await anna.collection('workOrder').insert({ title: 'written offline' });
    await anna.close();
    dbs.splice(dbs.indexOf(anna), 1);

    anna = await open('anna-p', { storage: new SqliteStorage(file) });
    expect(await anna.outbox.count()).toBe(1);
    const cursorBefore = Number(await anna.getMeta('sync.cursor'));
    expect(cursorBefore).toBeGreaterThan(0);
    await anna.sync!.flush();
    expect(await anna.outbox.count()).toBe(0);
    const reader = new CorePeer(srv.url, await srv.token('r2', 'acme'), 'reader2');
    await reader.pull();
    expect(reader.docs.has(offlineId)).toBe(true);
    expect(Number(await anna.getMeta('sync.cursor'))).toBeGreaterThan(cursorBefore);
  });

  it('retries with backoff while the server is unreachable, reports it, and recovers', async () => {
    const down = await createDatabase({
      name: 'down',
      replicaId: 'down',
      sync: { url: 'http://127.0.0.1:9', token: 'x', autoStart: false, initialMs: 10, maxMs: 50 },
    });
    dbs.push(down);
    await down.defineType(WORK_ORDER);
    await down.collection('workOrder').insert({ title: 'queued' });
    await expect(down.sync!.flush()).rejects.toThrow(/network/);
    const states: boolean[] = [];
    down.sync!.subscribe((s) => states.push(s.online));
    down.sync!.start();
    await waitFor(() => down.sync!.status.online === false && down.sync!.status.lastError !== undefined);
    expect(down.sync!.status.pending).toBe(1);
    await down.sync!.stop();
  });
});
