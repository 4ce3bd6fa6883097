import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '@fieldsync/core';
import {
  CorePeer,
  SseClient,
  WORK_ORDER,
  testServer,
  type TestServer,
} from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

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
    expect(first.compacted['acme']).toBeUndefined();
    await sleep(HORIZON + 200);
    const report = await srv.context.history.run();
    expect(report).toMatchObject({ compacted: { acme: head }, deletedDocs: 1, setDocs: 1 });
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

  it('per tenant: each tenant is compacted up to its own cut, in its own sequence; a quiet tenant keeps its history', async () => {
    const busy = new CorePeer(srv.url, await srv.token('anna', 'c-busy'), 'cb');
    const quiet = new CorePeer(srv.url, await srv.token('ben', 'c-quiet'), 'cq');
    const later = new CorePeer(srv.url, await srv.token('carl', 'c-later'), 'cl');
    const writes = async (p: CorePeer, n: number): Promise<number> => {
      const cs = Array.from({ length: n }, (_, i) =>
        p.change(undefined, [{ op: 'set', path: ['title'], value: `t${i}` }]),
      );
      const r = await p.push(cs);
      expect(r.body.results.every((x) => x.status === 'ok')).toBe(true);
      return r.body.cursor;
    };
    const busyHead = await writes(busy, 12);
    const quietHead = await writes(quiet, 2);
    expect([busyHead, quietHead]).toEqual([12, 2]); // each in its own sequence
    const gone = busy.change([...busy.docs.keys()][0], [{ op: 'delete' }]);
    expect((await busy.push([gone])).body.cursor).toBe(13);
    await srv.context.history.run(); // marks every tenant's head
    await sleep(HORIZON + 200);
    // Written after the mark: younger than the horizon at the next pass.
    expect(await writes(quiet, 1)).toBe(3);
    expect(await writes(later, 4)).toBe(4);
    const report = await srv.context.history.run();
    expect(report.compacted).toMatchObject({ 'c-busy': 13, 'c-quiet': 2 });
    expect(report.compacted['c-later']).toBeUndefined();
    for (const [p, cut] of [
      [busy, 13],
      [quiet, 2],
    ] as const) {
      const below = await fetch(`${srv.url}/v1/pull?since=${cut - 1}`, {
        headers: { authorization: `Bearer ${p.token}` },
      });
      expect(below.status).toBe(410);
      expect(((await below.json()) as { error: { horizon: number } }).error.horizon).toBe(cut);
      const at = await fetch(`${srv.url}/v1/pull?since=${cut}`, {
        headers: { authorization: `Bearer ${p.token}` },
      });
      expect(at.status).toBe(200);
      await at.body?.cancel();
    }
    // c-later's history is young: any cursor of it is served, whatever the others' cuts.
    const young = await fetch(`${srv.url}/v1/pull?since=1`, {
      headers: { authorization: `Bearer ${later.token}` },
    });
    expect(young.status).toBe(200);
    expect(((await young.json()) as { docs: unknown[] }).docs).toHaveLength(3);
    // The busy tenant's deleted document is gone; the quiet one's rows are all there.
    const all = await fetch(`${srv.url}/v1/pull?since=0`, {
      headers: { authorization: `Bearer ${busy.token}` },
    });
    expect(((await all.json()) as { docs: unknown[] }).docs).toHaveLength(11);
  });

  it('history younger than the horizon is not touched', async () => {
    const anna = new CorePeer(srv.url, await srv.token('anna', 'young'), 'anna-y');
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'x' }]);
    await anna.push([c]);
    const del = anna.change(c.doc, [{ op: 'delete' }]);
    const after = (await anna.push([del])).body.cursor;
    const r = await srv.context.history.run();
    expect(r.compacted['young'] ?? 0).toBeLessThan(after);
    const res = await fetch(`${srv.url}/v1/pull?since=${after - 1}`, {
      headers: { authorization: `Bearer ${anna.token}` },
    });
    expect(res.status).toBe(200);
    // A retry of the (young) change is still recognised.
    expect((await anna.push([del])).body.results.map((x) => x.status)).toEqual(['duplicate']);
  });
});
