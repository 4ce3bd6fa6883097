import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { signToken, startServer, type RunningServer, PostgresEngine, SqliteEngine } from '@fieldsync/server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET, WORK_ORDER } from '../../testing/server/harness.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const HORIZON = 60_000;

/**
 * Issue 11, case 6: a device away longer than the server's history horizon gets 410
 * `history_gone`, resyncs in full — without reviving what the server deleted and compacted — and
 * keeps (and then pushes) its own unsynced changes.
 */
describe.each(engines)('a device back after the history horizon (%s)', (engine) => {
  let srv: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-horizon-'));
  const schema = uniqueSchema();
  const dbs: Database[] = [];
  const device = async (user: string): Promise<Database> => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      sync: {
        url: srv.url,
        token: await signToken(SECRET, { user, tenant: 'acme' }),
        autoStart: false,
      },
    });
    await db.defineType(WORK_ORDER);
    dbs.push(db);
    return db;
  };
  beforeAll(async () => {
    const storage =
      engine === 'sqlite'
        ? new SqliteEngine({ file: join(dir, 'db.sqlite'), synchronous: 'NORMAL' })
        : new PostgresEngine({ url: PG_URL, schema });
    srv = await startServer({
      storage,
      secret: SECRET,
      port: 0,
      types: [WORK_ORDER],
      historyHorizonMs: HORIZON,
      compactEveryMs: 3_600_000,
    });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
    if (engine === 'postgres') await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('410 → full resync: deletions and removed tags stay gone, the offline edit survives and lands', async () => {
    const anna = await device('anna');
    const ben = await device('ben');
    const wo = ben.collection('workOrder');
    const kept = await wo.insert({ title: 'kept', status: 'open' });
    const doomed = await wo.insert({ title: 'doomed' });
    const tagged = await wo.insert({ title: 'tagged', tags: ['urgent', 'pump'] });
    await ben.sync!.flush();
    await anna.sync!.flush();
    expect(anna.collection('workOrder').findOne(doomed)).toBeDefined();

    // Anna goes offline and edits; Ben deletes, untags and adds while she is away.
    await anna.collection('workOrder').update(kept, { $set: { status: 'done', team: 'anna' } });
    await wo.remove(doomed);
    await wo.update(tagged, { $pull: { tags: 'urgent' } });
    const added = await wo.insert({ title: 'added while away' });
    await ben.sync!.flush();

    // Time passes beyond the horizon; the server compacts (a time mark now, a pass a horizon later).
    const now = Date.now();
    await srv.context.history.run(now);
    const report = await srv.context.history.run(now + HORIZON + 1000);
    expect(report.deletedDocs).toBeGreaterThan(0);

    let resynced = false;
    anna.sync!.subscribe((s) => (resynced ||= s.resyncing));
    await anna.sync!.flush();
    expect(resynced).toBe(true);
    const a = anna.collection('workOrder');
    expect(a.findOne(doomed)).toBeUndefined(); // not revived by her stale copy
    expect(a.findOne(tagged)?.['tags']).toEqual(['pump']);
    expect(a.findOne(added)).toMatchObject({ title: 'added while away' });
    expect(a.findOne(kept)).toMatchObject({ status: 'done', team: 'anna' });
    expect(anna.sync!.status).toMatchObject({ pending: 0, resyncing: false, lastError: undefined });

    // The server agrees: a fresh device sees the offline edit and none of the compacted data.
    const fresh = await device('fresh');
    await fresh.sync!.flush();
    const f = fresh.collection('workOrder');
    expect(f.findOne(kept)).toMatchObject({ status: 'done', team: 'anna' });
    expect(f.findOne(doomed)).toBeUndefined();
    expect(f.findOne(tagged)?.['tags']).toEqual(['pump']);
    expect(f.find().count()).toBe(a.find().count());
  });

  it('a text field: the server drops its tombstones; an offline text edit survives the 410 and converges', async () => {
    const carl = await device('carl');
    const dora = await device('dora');
    const wo = carl.collection('workOrder');
    const id = await wo.insert({ title: 'notes', notes: 'pump leaks at the valve' });
    const notes = wo.text(id, 'notes');
    // A note corrected over and over: 200 words typed and deleted again.
    for (let i = 0; i < 200; i++) {
      await notes.insert(notes.length, ` draft ${i}`);
      await notes.delete(23, notes.length - 23);
    }
    await carl.sync!.flush();
    await dora.sync!.flush();
    expect(dora.collection('workOrder').findOne(id)?.['notes']).toBe('pump leaks at the valve');

    // Dora goes offline and types before "valve"; Carl replaces "the valve" meanwhile.
    await dora.collection('workOrder').text(id, 'notes').insert(18, 'left ');
    await notes.delete(14, 9);
    await notes.insert(14, 'its seal');
    await carl.sync!.flush();
    const stored = async (): Promise<number> => {
      const page = (await srv.context.storage.pull('acme', { since: 0, limit: 1000 })).docs;
      const doc = JSON.parse(page.find((d) => d.id === id)!.state) as { fields: { notes: { b: string } } };
      return doc.fields.notes.b.length;
    };
    const before = await stored();
    const now = Date.now();
    await srv.context.history.run(now);
    const report = await srv.context.history.run(now + HORIZON + 1000);
    expect(report.sequenceDocs).toBe(1);
    const after = await stored();
    expect(after).toBeLessThan(before / 10);

    // Dora is back: 410, full resync; her edit named "valve" (deleted, compacted) as origin-right.
    let resynced = false;
    dora.sync!.subscribe((s) => (resynced ||= s.resyncing));
    await dora.sync!.flush();
    expect(resynced).toBe(true);
    await carl.sync!.flush();
    const fresh = await device('fresh-text');
    await fresh.sync!.flush();
    const want = 'pump leaks at left its seal';
    for (const db of [dora, carl, fresh])
      expect(db.collection('workOrder').findOne(id)?.['notes']).toBe(want);
    expect(dora.sync!.status).toMatchObject({ pending: 0, resyncing: false, lastError: undefined });
    // Nothing compacted came back with her push.
    expect(await stored()).toBeLessThan(before / 10);
  });
});
