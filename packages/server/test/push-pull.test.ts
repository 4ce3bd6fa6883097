import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflicts, materialize, formatStamp } from '@fieldsync/core';
import { CorePeer, testServer, type TestServer } from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

describe.each(engines)('push and pull over HTTP (%s)', (engine) => {
  let srv: TestServer;
  let anna: CorePeer;
  let ben: CorePeer;
  beforeAll(async () => {
    srv = await testServer({ engine });
    anna = new CorePeer(srv.url, await srv.token('anna', 'acme'), 'anna');
    ben = new CorePeer(srv.url, await srv.token('ben', 'acme'), 'ben');
  });
  afterAll(() => srv.close());

  it('reports health: liveness only without a token, protocol and engine with one', async () => {
    const res = await fetch(`${srv.url}/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const authed = await fetch(`${srv.url}/v1/health`, {
      headers: { authorization: `Bearer ${anna.token}` },
    });
    expect(await authed.json()).toEqual({ ok: true, protocol: 1, engine });
  });

  it('offline edits of different fields and of the same field converge; the LWW loser stays visible', async () => {
    const create = anna.change(undefined, [
      { op: 'set', path: ['title'], value: 'Pump #42' },
      { op: 'set', path: ['status'], value: 'open' },
    ]);
    const id = create.doc;
    expect((await anna.push([create])).body.results).toEqual([{ id: create.id, status: 'ok' }]);
    await ben.pull();
    expect(ben.docs.has(id)).toBe(true);

    // Both offline: different fields, then the same field.
    const a1 = anna.change(id, [{ op: 'set', path: ['status'], value: 'in_progress' }]);
    const b1 = ben.change(id, [{ op: 'add', path: ['tags'], values: ['needs-part'] }]);
    const a2 = anna.change(id, [{ op: 'set', path: ['address', 'street'], value: 'Main St 1' }]);
    const b2 = ben.change(id, [
      { op: 'set', path: ['address', 'city'], value: 'Basel' },
      { op: 'set', path: ['priority'], value: 3 },
    ]);
    const b3 = ben.change(id, [{ op: 'set', path: ['status'], value: 'done' }]);

    // Reconnect: both push, both pull.
    expect((await ben.push([b1, b2, b3])).body.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect((await anna.push([a1, a2])).body.results.map((r) => r.status)).toEqual(['ok', 'ok']);
    await anna.pull();
    await ben.pull();

    const va = materialize(anna.docs.get(id)!, anna.type);
    const vb = materialize(ben.docs.get(id)!, ben.type);
    expect(va).toEqual(vb);
    expect(va).toMatchObject({
      title: 'Pump #42',
      tags: ['needs-part'],
      priority: 3,
      address: { street: 'Main St 1', city: 'Basel' },
    });
    // b3 was stamped after a1 on the same field: ben wins, anna's value is superseded, not lost.
    expect(va['status']).toBe('done');
    const lost = conflicts(anna.docs.get(id)!, ['status']);
    expect(lost.map((s) => s.value)).toContain('in_progress');
    expect(conflicts(ben.docs.get(id)!, ['status'])).toEqual(lost);
  });

  it('is idempotent by change id: a duplicate push is acknowledged as duplicate and changes nothing', async () => {
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'dup' }]);
    const first = await anna.push([c]);
    expect(first.body.results[0]?.status).toBe('ok');
    const again = await anna.push([c, c]);
    expect(again.status).toBe(200);
    expect(again.body.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(again.body.cursor).toBe(first.body.cursor);
    // Same change twice in one new batch: stored once.
    const d = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'twice' }]);
    expect((await anna.push([d, d])).body.results.map((r) => r.status)).toEqual(['ok', 'duplicate']);
  });

  it('rejects a bad change with a reason and still applies its neighbours, nothing half-applied', async () => {
    const good1 = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'g1' }]);
    const target = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'target' }]);
    await anna.push([target]);
    const bad = { ...anna.change(target.doc, [{ op: 'set', path: ['priority'], value: 1 }]) };
    // Corrupt the ops after creation: a string where the schema wants a number, plus a valid-looking title.
    bad.ops = {
      ...bad.ops,
      priority: JSON.parse(JSON.stringify(bad.ops['priority']).replace('1', '"one"')) as unknown,
    };
    const unknownType = {
      ...anna.change(undefined, [{ op: 'set', path: ['title'], value: 'x' }]),
      type: 'nope',
    };
    const malformed = { id: 'x', doc: 'y' };
    const good2 = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'g2' }]);
    const res = await anna.push([good1, bad, unknownType, malformed, good2]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['ok', undefined],
      ['rejected', 'invalid_change'],
      ['rejected', 'unknown_type'],
      ['rejected', 'bad_change'],
      ['ok', undefined],
    ]);
    expect(res.body.results[1]?.error?.path).toContain('priority');
    await ben.pull();
    expect(materialize(ben.docs.get(target.doc)!, ben.type)['priority']).toBeUndefined();
    expect(ben.docs.has(good1.doc) && ben.docs.has(good2.doc)).toBe(true);
  });

  it('partial-sync conditions see unwritten set and text fields as [] and "" (as clients read them)', async () => {
    const bare = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'nothing else written' }]);
    const tagged = anna.change(undefined, [
      { op: 'set', path: ['title'], value: 'tagged' },
      { op: 'add', path: ['tags'], values: ['x'] },
    ]);
    expect((await anna.push([bare, tagged])).body.results.map((r) => r.status)).toEqual(['ok', 'ok']);
    const where = (w: unknown) => `&where=${encodeURIComponent(JSON.stringify(w))}`;
    const carl = new CorePeer(srv.url, await srv.token('carl', 'acme'), 'carl');
    await carl.pull(where({ notes: '', tags: { $in: [[]] } }));
    expect(carl.docs.has(bare.doc)).toBe(true);
    expect(carl.docs.has(tagged.doc)).toBe(false);
    const dora = new CorePeer(srv.url, await srv.token('dora', 'acme'), 'dora');
    await dora.pull(where({ tags: { $exists: false } }));
    expect(dora.docs.has(bare.doc)).toBe(false);
  });

  it('rejects stamps beyond the drift bound (422 when nothing in the batch was applied)', async () => {
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'future' }]);
    const future = formatStamp(Date.now() + 3600_000, 0, 'anna');
    const res = await anna.push([{ ...c, id: future, stamp: future }]);
    expect(res.status).toBe(422);
    expect(res.body.results[0]?.error?.code).toBe('clock_drift');
    // Whose clock: the server's, which the device is compared with (not "local time").
    expect(res.body.results[0]?.error?.message).toMatch(
      /^stamp \S+ is \d+ ms ahead of the server's clock \(max 300000 ms\)/,
    );
  });

  it('rejects a change to a document of another type', async () => {
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 't' }]);
    await anna.push([c]);
    const res = await anna.push([
      {
        ...anna.change(undefined, [{ op: 'set', path: ['title'], value: 'u' }]),
        doc: c.doc,
        type: 'workOrder2',
      },
    ]);
    expect(res.body.results[0]?.status).toBe('rejected');
  });

  it('pages a pull and delivers only changes after the cursor (delta proportional to changes)', async () => {
    const fresh = new CorePeer(srv.url, anna.token, 'fresh');
    const all = await fresh.pull('&limit=2');
    expect(all.docs).toBeGreaterThan(3);
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'late' }]);
    await anna.push([c]);
    const delta = await fresh.pull();
    expect(delta.docs).toBe(1);
    expect(fresh.docs.has(c.doc)).toBe(true);
  });
});
