import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize, Text, toBase64, type Change, type DocState } from '@fieldsync/core';
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

/** A change editing a document's `notes` text as `replica` (the intent a TextField makes). */
function editNotes(p: CorePeer, id: string, replica: string, edit: (t: Text) => void): Change {
  const t = new Text(replica);
  const cur = (p.docs.get(id) as DocState).fields['notes'] as Text | undefined;
  if (cur) t.applyUpdate(cur.encode());
  const v = t.version;
  edit(t);
  return p.change(id, [{ op: 'seq', path: ['notes'], update: toBase64(t.encodeSince(v)) }]);
}

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

  it('compacts the tombstones of a quiet text field; a device back after the horizon keeps its text edit', async () => {
    const anna = new CorePeer(srv.url, await srv.token('anna', 'texts'), 'anna-t');
    const ben = new CorePeer(srv.url, await srv.token('ben', 'texts'), 'ben-t');
    const doc = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'notes' }]);
    const other = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'other' }]);
    // A note typed and corrected for a long time: 120 lines typed and deleted again.
    const edits: Change[] = [
      doc,
      other,
      editNotes(anna, doc.doc, 'anna', (t) => t.insert(0, 'alpha beta gamma')),
    ];
    for (let i = 0; i < 120; i++) {
      edits.push(editNotes(anna, doc.doc, 'anna', (t) => t.insert(t.length, ` scratch line ${i}`)));
      edits.push(editNotes(anna, doc.doc, 'anna', (t) => t.delete(16, t.length - 16)));
    }
    expect((await anna.push(edits)).body.results.every((r) => r.status === 'ok')).toBe(true);
    await ben.pull();
    const benCursor = ben.cursor;
    // Ben goes offline and types before "beta"; meanwhile Anna deletes "beta " (his origin).
    const offline = editNotes(ben, doc.doc, 'ben', (t) => t.insert(6, 'BEN '));
    const cut = editNotes(anna, doc.doc, 'anna', (t) => t.delete(6, 5));
    const touch = anna.change(other.doc, [{ op: 'set', path: ['site'], value: 'S' }]);
    await anna.push([cut, touch]);
    // Dora syncs now (before the sweep): her copy keeps the tombstones, her cursor stays valid.
    const dora = new CorePeer(srv.url, await srv.token('dora', 'texts'), 'dora-t');
    await dora.pull();
    const stored = async (): Promise<string> => {
      const res = await fetch(`${srv.url}/v1/pull?since=0`, {
        headers: { authorization: `Bearer ${anna.token}` },
      });
      const page = (await res.json()) as {
        docs: Array<{ id: string; fields: Record<string, { b: string }> }>;
      };
      return (page.docs.find((d) => d.id === doc.doc) as { fields: Record<string, { b: string }> }).fields[
        'notes'
      ]!.b;
    };
    const before = await stored();

    await srv.context.history.run();
    await sleep(HORIZON + 200);
    const report = await srv.context.history.run();
    expect(report.sequenceDocs).toBe(1);
    const after = await stored();
    // 241 inserts' worth of tombstones are gone: the field is a few dozen bytes.
    expect(after.length).toBeLessThan(before.length / 10);
    expect((await srv.context.history.run()).sequenceDocs).toBe(0); // nothing left to compact

    // A fresh device gets the right text.
    const carla = new CorePeer(srv.url, await srv.token('carla', 'texts'), 'carla-t');
    await carla.pull();
    expect(materialize(carla.docs.get(doc.doc)!, WORK_ORDER)['notes']).toBe('alpha gamma');

    // Ben comes back: 410, full resync, and his offline edit (whose origin-right was compacted)
    // lands where he typed it, next to "alpha ".
    const gone = await fetch(`${srv.url}/v1/pull?since=${benCursor}`, {
      headers: { authorization: `Bearer ${ben.token}` },
    });
    expect(gone.status).toBe(410);
    await gone.body?.cancel();
    ben.docs.clear();
    ben.cursor = 0;
    await ben.pull();
    expect((await ben.push([offline])).body.results.map((r) => r.status)).toEqual(['ok']);
    await ben.pull();
    await anna.pull();
    await carla.pull();
    for (const p of [ben, anna, carla])
      expect(materialize(p.docs.get(doc.doc)!, WORK_ORDER)['notes']).toBe('alpha BEN gamma');
    // Dora, in sync but holding the tombstones, types after "alpha " (before the compacted "beta"):
    // no 410; the server places it by the same rule, and her next pull builds on its state.
    const late = editNotes(dora, doc.doc, 'dora', (t) => t.insert(6, 'D '));
    expect(materialize(dora.docs.get(doc.doc)!, WORK_ORDER)['notes']).toBe('alpha D gamma');
    expect((await dora.push([late])).body.results.map((r) => r.status)).toEqual(['ok']);
    await dora.pull();
    await carla.pull();
    for (const p of [dora, carla])
      expect(materialize(p.docs.get(doc.doc)!, WORK_ORDER)['notes']).toBe('alpha BEN D gamma');
    expect(((dora.docs.get(doc.doc) as DocState).fields['notes'] as Text).encode().length).toBe(
      ((carla.docs.get(doc.doc) as DocState).fields['notes'] as Text).encode().length,
    );
    // ...and everyone holds the same state, which keeps converging with further edits.
    const more = editNotes(carla, doc.doc, 'carla', (t) => t.insert(t.length, '!'));
    await carla.push([more]);
    await ben.pull();
    expect(materialize(ben.docs.get(doc.doc)!, WORK_ORDER)['notes']).toBe('alpha BEN D gamma!');
  });
});
