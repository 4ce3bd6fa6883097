import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HybridLogicalClock,
  createChange,
  createDocId,
  formatStamp,
  materialize,
  type Change,
  type Intent,
} from '@fieldsync/core';
import {
  CorePeer,
  WORK_ORDER,
  testServer,
  type PushBody,
  type TestServer,
} from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** A change made on a clock that reads `wall` (ms), as a device with that replica id would make it. */
function changeAt(replica: string, wall: number, docId: string, intents: Intent[]): Change {
  const clock = new HybridLogicalClock({ replica, now: () => wall });
  return createChange({ clock, type: WORK_ORDER, doc: undefined, docId, intents });
}

const newDocId = (): string => createDocId();

describe.each(engines)('change identity is verified, two users of one tenant over HTTP (%s)', (engine) => {
  let srv: TestServer;
  let anna: CorePeer;
  let ben: CorePeer;
  let reader: CorePeer;
  beforeAll(async () => {
    srv = await testServer({ engine });
    anna = new CorePeer(srv.url, await srv.token('anna', 'acme'), 'unused');
    ben = new CorePeer(srv.url, await srv.token('ben', 'acme'), 'unused');
    reader = new CorePeer(srv.url, await srv.token('carla', 'acme'), 'unused');
  });
  afterAll(() => srv.close());

  const status = (b: PushBody) => b.results.map((r) => r.error?.code ?? r.status);
  const titleOnServer = async (docId: string): Promise<unknown> => {
    reader.cursor = 0;
    reader.docs.clear();
    await reader.pull();
    const d = reader.docs.get(docId);
    return d ? materialize(d, WORK_ORDER)['title'] : undefined;
  };

  it("a forged change with Anna's future id (her replica unused so far) never makes her real change look stored; re-issued under a new replica it lands", async () => {
    const future = Date.now() + 60_000;
    const annaDoc = newDocId();
    const real = changeAt('anna-phone', future, annaDoc, [
      { op: 'set', path: ['title'], value: 'Anna real' },
    ]);
    // Ben guesses the id Anna's phone will use in a minute and pushes it first, on his own doc.
    const forged = changeAt('anna-phone', future, newDocId(), [
      { op: 'set', path: ['title'], value: 'forged' },
    ]);
    expect(forged.id).toBe(real.id);
    expect(status((await ben.push([forged])).body)).toEqual(['ok']);

    // Before: the server answered `duplicate`, Anna's client dropped the change, the order was lost.
    const res = await anna.push([real]);
    expect(res.status).toBe(422);
    expect(res.body.results).toEqual([
      expect.objectContaining({
        id: real.id,
        status: 'rejected',
        error: expect.objectContaining({ code: 'replica_taken' }),
      }),
    ]);
    expect(await titleOnServer(annaDoc)).toBeUndefined();

    // The client's re-issue path: same intents, fresh stamp, new replica id.
    const reissued = changeAt('anna-phone-2', Date.now(), annaDoc, [
      { op: 'set', path: ['title'], value: 'Anna real' },
    ]);
    expect(status((await anna.push([reissued])).body)).toEqual(['ok']);
    expect(await titleOnServer(annaDoc)).toBe('Anna real');
    // And her new replica is hers now: Ben cannot use it either.
    const forged2 = changeAt('anna-phone-2', Date.now() + 1000, newDocId(), [
      { op: 'set', path: ['title'], value: 'forged again' },
    ]);
    expect(status((await ben.push([forged2])).body)).toEqual(['replica_taken']);
  });

  it("once Anna's replica is bound to her, Ben's forged future id is refused and her real change is stored", async () => {
    const docId = newDocId();
    const first = changeAt('anna-tablet', Date.now(), docId, [
      { op: 'set', path: ['title'], value: 'first' },
    ]);
    expect(status((await anna.push([first])).body)).toEqual(['ok']);
    const future = Date.now() + 60_000;
    const forged = changeAt('anna-tablet', future, newDocId(), [
      { op: 'set', path: ['title'], value: 'forged' },
    ]);
    expect(status((await ben.push([forged])).body)).toEqual(['replica_taken']);
    const real = changeAt('anna-tablet', future, docId, [{ op: 'set', path: ['title'], value: 'second' }]);
    expect(real.id).toBe(forged.id);
    expect(status((await anna.push([real])).body)).toEqual(['ok']);
    expect(await titleOnServer(docId)).toBe('second');
  });

  it('the same id with other content is id_conflict, never duplicate; the same content is duplicate (also re-serialized)', async () => {
    const docId = newDocId();
    const wall = Date.now();
    const a = changeAt('anna-laptop', wall, docId, [{ op: 'set', path: ['title'], value: 'A' }]);
    const b = changeAt('anna-laptop', wall, docId, [{ op: 'set', path: ['title'], value: 'B' }]);
    expect(a.id).toBe(b.id);
    // Within one push: the second claim of the id is refused, not counted as stored.
    expect(status((await anna.push([a, b])).body)).toEqual(['ok', 'id_conflict']);
    // Later pushes: other content → id_conflict; same content (keys in another order) → duplicate.
    expect(status((await anna.push([b])).body)).toEqual(['id_conflict']);
    const reordered = JSON.parse(
      JSON.stringify({
        ops: a.ops,
        stamp: a.stamp,
        v: a.v,
        type: a.type,
        doc: a.doc,
        id: a.id,
        ...(a.th ? { th: a.th } : {}),
      }),
    ) as Change;
    expect(status((await anna.push([reordered])).body)).toEqual(['duplicate']);
    expect(await titleOnServer(docId)).toBe('A');
    // Another document under the same id is other content too.
    const elsewhere = { ...a, doc: newDocId() };
    expect(status((await anna.push([elsewhere])).body)).toEqual(['id_conflict']);
  });

  it('replica ids are bound per tenant: the same replica id in another tenant is independent', async () => {
    const other = new CorePeer(srv.url, await srv.token('zoe', 'other-tenant'), 'unused');
    const c = changeAt('anna-phone', Date.now(), newDocId(), [{ op: 'set', path: ['title'], value: 'z' }]);
    expect(status((await other.push([c])).body)).toEqual(['ok']);
  });

  it('a stamp whose wall time is in the past is checked the same way (not only future ids)', async () => {
    const wall = Date.now() - 3_600_000;
    const c = changeAt('anna-phone', wall, newDocId(), [{ op: 'set', path: ['title'], value: 'old' }]);
    // anna-phone belongs to Ben since the first test (he used it first): Anna is told so.
    expect(status((await anna.push([c])).body)).toEqual(['replica_taken']);
    expect(status((await ben.push([c])).body)).toEqual(['ok']);
  });

  it('stamps read back unchanged: the ids above are real stamps', () => {
    expect(changeAt('r', 1_000, newDocId(), [{ op: 'set', path: ['title'], value: 't' }]).id).toBe(
      formatStamp(1_000, 0, 'r'),
    );
  });
});
