import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '@fieldsync/core';
import { CorePeer, SseClient, WORK_ORDER, testServer, type TestServer } from './harness.js';
import { pgReachable } from './pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const HORIZON = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(engines)('history horizon: compaction and 410 history_gone (%s)', (engine) => {
  let srv: TestServer;
  beforeAll(async () => {
    // Passes are run by hand below (the timer would run only every 150 s).
    srv = await testServer({ engine, historyHorizonMs: HORIZON, compactEveryMs: 3_600_000 });
  });
  afterAll(() => srv.close());

  it('a device away longer than the horizon gets 410, resyncs from 0 and its offline change still lands', async () => {
    const anna = new CorePeer(srv.url, await srv.token('anna', 'acme'), 'anna-h');
    const ben = new CorePeer(srv.url, await srv.token('ben', 'acme'), 'ben-h');
    const d1 = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'to delete' }]);
    const d2 = anna.change(undefined, [
      { op: 'set', path: ['title'], value: 'tagged' },
      { op: 'add', path: ['tags'], values: ['a', 'b'] },
    ]);
    const d3 = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'edited offline' }]);
    await anna.push([d1, d2, d3]);
    await ben.pull();
    const benCursor = ben.cursor;
    // Ben goes offline with an edit in his outbox.
    const offline = ben.change(d3.doc, [{ op: 'set', path: ['priority'], value: 7 }]);
    // Meanwhile: d1 deleted, tag "a" removed from d2, then another write (d1 is not the newest row).
    const del = anna.change(d1.doc, [{ op: 'delete' }]);
    const untag = anna.change(d2.doc, [{ op: 'remove', path: ['tags'], values: ['a'] }]);
    const touch = anna.change(d3.doc, [{ op: 'set', path: ['site'], value: 'S' }]);
    const pushed = await anna.push([del, untag, touch]);
    const head = pushed.body.cursor;

    // First pass: records (now, head). After the horizon, the second pass compacts up to head.
    const first = await srv.context.history.run();
    expect(first.compacted).toBe(0);
    await sleep(HORIZON + 200);
    const report = await srv.context.history.run();
    expect(report).toMatchObject({ compacted: head, deletedDocs: 1, setDocs: 1 });
    // Change ids go by the wall time in them (a slow first pass may already have taken some).
    expect(first.changeIds + report.changeIds).toBe(6);
    expect((await srv.context.history.run()).changeIds).toBe(0); // idempotent
    // A retry of a change whose id was forgotten merges to nothing new: answered duplicate, no write.
    const retry = await anna.push([d3, touch]);
    expect(retry.body.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(retry.body.cursor).toBe(head);

    // Ben comes back: his cursor is older than the compacted history.
    const res = await fetch(`${srv.url}/v1/pull?since=${benCursor}`, {
      headers: { authorization: `Bearer ${ben.token}` },
    });
    expect(res.status).toBe(410);
    expect(await res.json()).toEqual({
      error: {
        code: 'history_gone',
        message: expect.stringContaining('since=0'),
        path: 'since',
        horizon: head,
      },
    });
    expect(res.headers.get('fieldsync-epoch')).toBeTruthy();
    expect(Number(res.headers.get('fieldsync-head'))).toBe(head);
    const sse = await SseClient.open(`${srv.url}/v1/events`, ben.token, {
      'last-event-id': String(benCursor),
    });
    expect(sse.status).toBe(410);
    await sse.close();

    // Resync: a full pull (always served) has no deleted document and no removed tag left.
    const raw = await fetch(`${srv.url}/v1/pull?since=0`, {
      headers: { authorization: `Bearer ${ben.token}` },
    });
    expect(raw.status).toBe(200);
    const page = (await raw.json()) as { docs: Array<{ id: string; fields: Record<string, unknown> }> };
    expect(page.docs.map((d) => d.id).sort()).toEqual([d2.doc, d3.doc].sort());
    expect(page.docs.find((d) => d.id === d2.doc)?.fields['tags']).toMatchObject({ k: 's', r: [] });
    ben.docs.clear();
    ben.cursor = 0;
    await ben.pull();
    expect(materialize(ben.docs.get(d2.doc)!, WORK_ORDER)['tags']).toEqual(['b']);
    // ...and his offline change is still accepted.
    expect((await ben.push([offline])).body.results.map((r) => r.status)).toEqual(['ok']);
    const carla = new CorePeer(srv.url, await srv.token('carla', 'acme'), 'carla-h');
    await carla.pull();
    expect(materialize(carla.docs.get(d3.doc)!, WORK_ORDER)).toMatchObject({ priority: 7, site: 'S' });

    // A cursor at or past the compacted one is served as usual, and so is since=0.
    for (const since of [head, head + 1]) {
      const ok = await fetch(`${srv.url}/v1/pull?since=${since}`, {
        headers: { authorization: `Bearer ${anna.token}` },
      });
      expect(ok.status).toBe(200);
    }
  });

  it('history younger than the horizon is not touched', async () => {
    const anna = new CorePeer(srv.url, await srv.token('anna', 'young'), 'anna-y');
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'x' }]);
    await anna.push([c]);
    const del = anna.change(c.doc, [{ op: 'delete' }]);
    const after = (await anna.push([del])).body.cursor;
    const r = await srv.context.history.run();
    expect(r.compacted).toBeLessThan(after);
    const res = await fetch(`${srv.url}/v1/pull?since=${after - 1}`, {
      headers: { authorization: `Bearer ${anna.token}` },
    });
    expect(res.status).toBe(200);
    // A retry of the (young) change is still recognised.
    expect((await anna.push([del])).body.results.map((x) => x.status)).toEqual(['duplicate']);
  });
});
