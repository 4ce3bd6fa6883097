import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@fieldsync/client';
import { docToJSON } from '@fieldsync/core';
import { CorePeer, WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** Six documents of ~200 KB (the title is in the state and in the view); a push may touch 500 KB. */
const DOCS = 6;
const TITLE = 'x'.repeat(100_000);
const BUDGET = 500_000;

/**
 * One push of small changes may touch many large stored documents. The server refuses such a
 * push whole (413 `push_too_large`, nothing stored) before merging any of them, and a real
 * client gets every change through anyway by sending smaller batches.
 */
describe.each(engines)('push state budget (%s)', (engine) => {
  let srv: TestServer;
  let token: string;
  let peer: CorePeer;
  const ids: string[] = [];
  const head = async (): Promise<number> => {
    const res = await fetch(`${srv.url}/v1/pull?since=0&limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return Number(res.headers.get('fieldsync-head'));
  };

  beforeAll(async () => {
    srv = await testServer({
      engine,
      limits: { maxPushStateBytes: BUDGET, rate: { perSecond: 10_000, burst: 10_000 } },
    });
    token = await srv.token('anna', 'budget');
    peer = new CorePeer(srv.url, token, 'seed');
    // Creating them touches no stored document: one push is fine.
    const created = Array.from({ length: DOCS }, (_, i) =>
      peer.change(undefined, [{ op: 'set', path: ['title'], value: `${i}:${TITLE}` }]),
    );
    for (const c of created) ids.push(c.doc);
    expect((await peer.push(created)).status).toBe(200);
  });
  afterAll(() => srv.close());

  it('refuses a push touching more stored bytes than the budget, whole, with a JSON 413', async () => {
    const before = await head();
    const updates = ids.map((id) => peer.change(id, [{ op: 'set', path: ['status'], value: 'done' }]));
    const res = await peer.push(updates);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'push_too_large', path: 'changes' });
    expect(res.body.error?.message).toMatch(
      /touches 6 stored documents holding at least \d+ bytes; the limit per push is 500000 bytes/,
    );
    expect(await head()).toBe(before);
    // Two of them fit (~400 KB), and one large document alone always does.
    expect((await peer.push(updates.slice(0, 2))).status).toBe(200);
    expect((await peer.push(updates.slice(2, 3))).status).toBe(200);
    expect(await head()).toBe(before + 3);
  });

  it('a client with changes to every document gets them all through in smaller pushes', async () => {
    const db = await createDatabase({
      name: `budget-${engine}`,
      replicaId: `budget-client-${engine}`,
      sync: { url: srv.url, token, autoStart: false, live: false, initialMs: 20, maxMs: 200 },
    });
    try {
      if (!db.typeFor('workOrder')) await db.defineType(WORK_ORDER);
      await db.sync!.flush();
      const orders = db.collection('workOrder');
      expect(orders.find().fetch().length).toBe(DOCS);
      await db.transaction(() => {
        for (const id of ids) void orders.update(id, { $set: { priority: 3 } });
      });
      await db.sync!.flush();
      expect(db.syncState.waiting()).toEqual([]);
      const check = new CorePeer(srv.url, token, 'check');
      await check.pull();
      for (const id of ids) {
        const doc = check.docs.get(id);
        expect(doc && (docToJSON(doc).fields['priority'] as { v: unknown } | undefined)?.v).toBe(3);
      }
    } finally {
      await db.close();
    }
  });
});
