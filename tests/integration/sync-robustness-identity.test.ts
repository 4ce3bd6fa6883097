import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { HybridLogicalClock, createChange, createDocId, parseStamp, type TypeDef } from '@fieldsync/core';
import { CorePeer, WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** The work order with a counter, to check counter totals survive a move to a new replica id. */
const COUNTED: TypeDef = {
  ...WORK_ORDER,
  name: 'visit',
  fields: { ...WORK_ORDER.fields, visits: { type: 'counter' } },
};

/**
 * Issue 11, case 4, end to end with real clients: a change id claimed by someone else never makes
 * a device drop its own change. Two users of one tenant.
 */
describe.each(engines)('a claimed change id or replica id loses nothing (%s)', (engine) => {
  let srv: TestServer;
  const dbs: Database[] = [];
  const device = async (user: string, replicaId: string): Promise<Database> => {
    const db = await createDatabase({
      name: `${user}-${replicaId}`,
      replicaId,
      sync: { url: srv.url, token: await srv.token(user, 'acme'), autoStart: false },
    });
    await db.defineType(COUNTED);
    dbs.push(db);
    return db;
  };
  const onServer = async (id: string) => {
    const reader = await device('carla', `reader-${createDocId()}`);
    await reader.sync!.flush();
    return reader.collection('visit').findOne(id);
  };
  beforeAll(async () => {
    srv = await testServer({ engine, types: [WORK_ORDER, COUNTED] });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
  });

  it("another user claimed this device's replica id first: it moves to a new one and its work lands (counters not doubled)", async () => {
    // Ben pushes a change stamped with the replica id Anna's new phone will use.
    const ben = new CorePeer(srv.url, await srv.token('ben', 'acme'), 'unused', COUNTED);
    const clock = new HybridLogicalClock({ replica: 'anna-phone', now: () => Date.now() + 60_000 });
    const forged = createChange({
      clock,
      type: COUNTED,
      doc: undefined,
      docId: createDocId(),
      intents: [{ op: 'set', path: ['title'], value: 'forged' }],
    });
    expect((await ben.push([forged])).body.results[0]?.status).toBe('ok');

    const anna = await device('anna', 'anna-phone');
    const id = await anna.collection('visit').insert({ title: 'Boiler', visits: 0 });
    await anna.collection('visit').update(id, { $inc: { visits: 1 } });
    await anna.collection('visit').update(id, { $inc: { visits: 2 } });
    await anna.sync!.flush();

    expect(anna.rejectedChanges()).toEqual([]);
    expect(anna.sync!.status).toMatchObject({ pending: 0, rejected: 0 });
    expect(anna.replicaId).not.toBe('anna-phone');
    expect(parseStamp(anna.clock.now()).replica).toBe(anna.replicaId);
    expect(await onServer(id)).toMatchObject({ title: 'Boiler', visits: 3 });
    expect(anna.collection('visit').findOne(id)).toMatchObject({ visits: 3 });
    // Later writes go out under the new replica id without any further rejection.
    await anna.collection('visit').update(id, { $inc: { visits: 1 } });
    await anna.sync!.flush();
    expect(anna.rejectedChanges()).toEqual([]);
    expect(await onServer(id)).toMatchObject({ visits: 4 });
  });

  it('the same change id with other content is id_conflict: the device re-issues and its change lands', async () => {
    const anna = await device('anna', 'anna-tablet');
    await anna.sync!.flush(); // the replica is Anna's
    const id = await anna.collection('visit').insert({ title: 'Pump' });
    const [pending] = (await anna.outbox.peek(1)) as Array<{ id: string }>;
    // A clone of Anna's tablet (same user, same replica id) pushes other content under that id.
    const clone = new CorePeer(srv.url, await srv.token('anna', 'acme'), 'unused', COUNTED);
    const made = createChange({
      clock: new HybridLogicalClock({ replica: 'anna-tablet' }),
      type: COUNTED,
      doc: undefined,
      docId: createDocId(),
      intents: [{ op: 'set', path: ['title'], value: 'clone' }],
    });
    const other = { ...made, id: pending!.id, stamp: pending!.id }; // ops carry no stamp of their own
    expect(other.id).toBe(pending!.id);
    expect((await clone.push([other])).body.results[0]?.status).toBe('ok');

    await anna.sync!.flush(); // before: `duplicate`, taken as acknowledged, the order lost
    expect(anna.rejectedChanges()).toEqual([]);
    expect(await onServer(id)).toMatchObject({ title: 'Pump' });
    expect(anna.collection('visit').findOne(id)).toEqual(await onServer(id));
  });
});
