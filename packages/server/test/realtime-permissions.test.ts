import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Permissions } from '../src/auth/rules.js';
import {
  CorePeer,
  SseClient,
  testServer,
  type PullBody,
  type TestServer,
} from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const teams = (u: { claims: Readonly<Record<string, unknown>> }): unknown[] =>
  Array.isArray(u.claims['teams']) ? (u.claims['teams'] as unknown[]) : [];
/** Team rule: technicians see and edit work orders of their teams; dispatchers see everything. */
const PERMISSIONS: Permissions = {
  types: {
    workOrder: {
      read: (u, d) => u.claims['role'] === 'dispatcher' || teams(u).includes(d['team']),
      write: (u, d) => u.claims['role'] === 'dispatcher' || teams(u).includes(d['team']),
    },
  },
};

describe.each(engines)('realtime, permissions and tenant isolation (%s)', (engine) => {
  let srv: TestServer;
  const streams: SseClient[] = [];
  const open = async (token: string, query = '', headers: Record<string, string> = {}) => {
    const s = await SseClient.open(`${srv.url}/v1/events${query}`, token, headers);
    streams.push(s);
    return s;
  };
  beforeAll(async () => {
    srv = await testServer({ engine, permissions: PERMISSIONS, heartbeatMs: 100 });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
  });
  afterAll(() => srv.close());

  it('streams accepted changes with id = cursor and resumes after a dropped connection with Last-Event-ID', async () => {
    const token = await srv.token('disp', 'sse', { role: 'dispatcher' });
    const w = new CorePeer(srv.url, token, 'w1');
    const s1 = await open(token);
    await s1.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    const a = w.change(undefined, [{ op: 'set', path: ['title'], value: 'A' }]);
    const pushed = await w.push([a]);
    await s1.waitFor((ev) => ev.some((e) => e.event === 'sync'));
    const first = s1.events.find((e) => e.event === 'sync');
    expect(first?.id).toBe(String(pushed.body.cursor));
    expect(s1.docs().map((d) => d.id)).toEqual([a.doc]);
    await s1.close();

    // Dropped: two writes happen while disconnected.
    const b = w.change(undefined, [{ op: 'set', path: ['title'], value: 'B' }]);
    const c = w.change(undefined, [{ op: 'set', path: ['title'], value: 'C' }]);
    await w.push([b]);
    await w.push([c]);
    const s2 = await open(token, '', { 'last-event-id': first?.id ?? '' });
    await s2.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    expect(s2.docs().map((d) => d.id)).toEqual([b.doc, c.doc]);
    // And it is live afterwards.
    const d = w.change(undefined, [{ op: 'set', path: ['title'], value: 'D' }]);
    await w.push([d]);
    await s2.waitFor(() => s2.docs().some((x) => x.id === d.doc));
    const ids = s2.events.filter((e) => e.event === 'sync').map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it('sends heartbeats', async () => {
    const token = await srv.token('hb', 'sse');
    const res = await fetch(`${srv.url}/v1/events`, { headers: { authorization: `Bearer ${token}` } });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const end = Date.now() + 3000;
    while (!text.includes(': ping') && Date.now() < end) text += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(text).toContain(': ping');
  });

  it('isolates tenants through push, pull and events, even for the same document id', async () => {
    const annaTok = await srv.token('anna', 'acme', { role: 'dispatcher' });
    const eveTok = await srv.token('eve', 'evil', { role: 'dispatcher' });
    const anna = new CorePeer(srv.url, annaTok, 'anna');
    const eve = new CorePeer(srv.url, eveTok, 'eve');
    const annaStream = await open(annaTok);
    const eveStream = await open(eveTok);
    await annaStream.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    await eveStream.waitFor((ev) => ev.some((e) => e.event === 'ready'));

    const secret = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'acme secret' }]);
    await anna.push([secret]);
    // Eve replays Anna's exact change and writes to the same document id: it lands in tenant "evil" only.
    const replay = await eve.push([secret]);
    expect(replay.body.results[0]?.status).toBe('ok');
    const hijack = eve.change(secret.doc, [{ op: 'set', path: ['title'], value: 'pwned' }]);
    await eve.push([hijack]);

    await annaStream.waitFor(() => annaStream.docs().length >= 1);
    await eveStream.waitFor(() => eveStream.docs().length >= 2);
    const fresh = new CorePeer(srv.url, annaTok, 'anna2');
    await fresh.pull();
    const title = (d: unknown) => JSON.stringify(d).includes('pwned');
    expect([...fresh.docs.values()].some(title)).toBe(false);
    expect(annaStream.docs().some(title)).toBe(false);
    // Eve's stream never carries Anna's other documents.
    const other = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'acme only' }]);
    await anna.push([other]);
    await annaStream.waitFor(() => annaStream.docs().some((d) => d.id === other.doc));
    const evePull = new CorePeer(srv.url, eveTok, 'eve2');
    await evePull.pull();
    expect(evePull.docs.has(other.doc)).toBe(false);
    expect(eveStream.docs().some((d) => d.id === other.doc)).toBe(false);
    expect(eveStream.gone()).not.toContain(other.doc);
  });

  it('applies read and write rules in push, pull and events; a document leaving scope is evicted', async () => {
    const disp = new CorePeer(srv.url, await srv.token('dora', 'rules', { role: 'dispatcher' }), 'dora');
    const blueTok = await srv.token('bob', 'rules', { teams: ['blue'] });
    const blue = new CorePeer(srv.url, blueTok, 'bob');
    const blueStream = await open(blueTok);
    await blueStream.waitFor((ev) => ev.some((e) => e.event === 'ready'));

    const bw = disp.change(undefined, [
      { op: 'set', path: ['title'], value: 'blue job' },
      { op: 'set', path: ['team'], value: 'blue' },
    ]);
    const rw = disp.change(undefined, [
      { op: 'set', path: ['title'], value: 'red job' },
      { op: 'set', path: ['team'], value: 'red' },
    ]);
    await disp.push([bw, rw]);
    await blue.pull();
    expect([...blue.docs.keys()]).toEqual([bw.doc]);
    await blueStream.waitFor(() => blueStream.docs().length >= 1);
    expect(blueStream.docs().map((d) => d.id)).toEqual([bw.doc]);

    // Bob may not create a red work order, nor move the blue one to red; he may edit the blue one.
    const forbiddenCreate = blue.change(undefined, [
      { op: 'set', path: ['title'], value: 'x' },
      { op: 'set', path: ['team'], value: 'red' },
    ]);
    const moveOut = blue.change(bw.doc, [{ op: 'set', path: ['team'], value: 'red' }]);
    const res = await blue.push([forbiddenCreate, moveOut]);
    expect(res.status).toBe(422);
    expect(res.body.results.map((r) => r.error?.code)).toEqual(['forbidden', 'forbidden']);
    const blue2 = new CorePeer(srv.url, blueTok, 'bob2');
    await blue2.pull();
    const edit = blue2.change(bw.doc, [{ op: 'set', path: ['status'], value: 'done' }]);
    expect((await blue2.push([edit])).body.results[0]?.status).toBe('ok');
    // He cannot write into the red one he cannot see either (rule checked on the stored state).
    const redPeer = new CorePeer(srv.url, blueTok, 'bob3');
    redPeer.mergeRemote([]);
    const intoRed = { ...blue2.change(bw.doc, [{ op: 'set', path: ['priority'], value: 1 }]), doc: rw.doc };
    expect((await blue2.push([intoRed])).body.results[0]?.error?.code).toBe('forbidden');

    // The dispatcher moves the blue job to team red: it leaves Bob's scope → gone in pull and SSE.
    await disp.pull();
    const move = disp.change(bw.doc, [{ op: 'set', path: ['team'], value: 'red' }]);
    await disp.push([move]);
    const after = await blue.pull();
    expect(after.gone).toContain(bw.doc);
    expect(blue.docs.has(bw.doc)).toBe(false);
    await blueStream.waitFor(() => blueStream.gone().includes(bw.doc));
  });

  it("live fan-out to many streams applies each reader's rules (identical readers share a render, others do not)", async () => {
    const disp = new CorePeer(srv.url, await srv.token('dora', 'fanout', { role: 'dispatcher' }), 'dora');
    const bobTok = await srv.token('bob', 'fanout', { teams: ['blue'] });
    const carolTok = await srv.token('carol', 'fanout', { teams: ['blue'] });
    const redTok = await srv.token('rita', 'fanout', { teams: ['red'] });
    const bobA = await open(bobTok);
    const bobB = await open(bobTok); // same user and claims: same visibility key
    const carol = await open(carolTok);
    const rita = await open(redTok);
    const siteS1 = await open(bobTok, `?where=${encodeURIComponent(JSON.stringify({ site: 's1' }))}`);
    const all = [bobA, bobB, carol, rita, siteS1];
    for (const st of all) await st.waitFor((ev) => ev.some((e) => e.event === 'ready'));

    const blueJob = disp.change(undefined, [
      { op: 'set', path: ['title'], value: 'blue' },
      { op: 'set', path: ['team'], value: 'blue' },
      { op: 'set', path: ['site'], value: 's2' },
    ]);
    const redJob = disp.change(undefined, [
      { op: 'set', path: ['title'], value: 'red' },
      { op: 'set', path: ['team'], value: 'red' },
      { op: 'set', path: ['site'], value: 's1' },
    ]);
    await disp.push([blueJob]);
    await disp.push([redJob]);
    for (const st of [bobA, bobB, carol]) {
      await st.waitFor(() => st.gone().includes(redJob.doc));
      expect(st.docs().map((d) => d.id)).toEqual([blueJob.doc]);
    }
    await rita.waitFor(() => rita.docs().length >= 1 && rita.gone().includes(blueJob.doc));
    expect(rita.docs().map((d) => d.id)).toEqual([redJob.doc]);
    // Bob filtered to site s1: the blue job is elsewhere, the red job on s1 is still hidden by his rule.
    await siteS1.waitFor(() => siteS1.gone().includes(redJob.doc));
    expect(siteS1.docs()).toEqual([]);
  });

  it('partial sync: a type or field filter narrows, and never widens past the read rules', async () => {
    const disp = new CorePeer(srv.url, await srv.token('dora', 'partial', { role: 'dispatcher' }), 'dora');
    const blueTok = await srv.token('bob', 'partial', { teams: ['blue'] });
    const mk = (team: string, site: string) =>
      disp.change(undefined, [
        { op: 'set', path: ['title'], value: `${team}-${site}` },
        { op: 'set', path: ['team'], value: team },
        { op: 'set', path: ['site'], value: site },
      ]);
    const b1 = mk('blue', 's1');
    const b2 = mk('blue', 's2');
    const r1 = mk('red', 's1');
    await disp.push([b1, b2, r1]);
    const bob = new CorePeer(srv.url, blueTok, 'bob');
    // Bob asks for site s1 on every team: the read rule still hides the red one.
    await bob.pull(`&where=${encodeURIComponent(JSON.stringify({ site: 's1' }))}`);
    expect([...bob.docs.keys()]).toEqual([b1.doc]);
    const s = await open(blueTok, `?where=${encodeURIComponent(JSON.stringify({ site: { $in: ['s2'] } }))}`);
    await s.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    expect(s.docs().map((d) => d.id)).toEqual([b2.doc]);
    const none = await fetch(`${srv.url}/v1/pull?types=other`, {
      headers: { authorization: `Bearer ${blueTok}` },
    });
    expect(((await none.json()) as PullBody).docs).toEqual([]);
  });

  it('partial sync by range and exclusion: only matching documents, and one that stops matching is gone', async () => {
    const disp = new CorePeer(srv.url, await srv.token('dora', 'ranges', { role: 'dispatcher' }), 'dora');
    const mk = (title: string, priority: number | undefined, site: string) =>
      disp.change(undefined, [
        { op: 'set', path: ['title'], value: title },
        { op: 'set', path: ['site'], value: site },
        ...(priority === undefined ? [] : [{ op: 'set' as const, path: ['priority'], value: priority }]),
      ]);
    const urgent = mk('urgent', 4, 's1');
    const low = mk('low', 1, 's1');
    const unset = mk('no priority', undefined, 's1');
    const closedSite = mk('urgent elsewhere', 3, 'closed');
    await disp.push([urgent, low, unset, closedSite]);
    const where = encodeURIComponent(JSON.stringify({ priority: { $gte: 3 }, site: { $nin: ['closed'] } }));
    const peer = new CorePeer(srv.url, await srv.token('erin', 'ranges', { role: 'dispatcher' }), 'erin');
    await peer.pull(`&where=${where}`);
    expect([...peer.docs.keys()]).toEqual([urgent.doc]);
    const stream = await open(await srv.token('erin', 'ranges', { role: 'dispatcher' }), `?where=${where}`);
    await stream.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    expect(stream.docs().map((d) => d.id)).toEqual([urgent.doc]);
    // Lowered below the bound: it leaves the filter, so pull and SSE report it gone.
    await disp.pull();
    await disp.push([disp.change(urgent.doc, [{ op: 'set', path: ['priority'], value: 2 }])]);
    const after = await peer.pull(`&where=${where}`);
    expect(after.gone).toContain(urgent.doc);
    expect(peer.docs.size).toBe(0);
    await stream.waitFor(() => stream.gone().includes(urgent.doc));
  });
});
