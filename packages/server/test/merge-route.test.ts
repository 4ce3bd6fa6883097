import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HybridLogicalClock,
  applyChange,
  createChange,
  docFromJSON,
  docToJSON,
  materialize,
  type DocState,
  type Intent,
} from '@fieldsync/core';
import {
  CorePeer,
  SseClient,
  WORK_ORDER,
  testServer,
  type PullBody,
  type TestServer,
} from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

interface MergeBody {
  results: Array<{ id: string; status: string; error?: { code: string; path?: string; rule?: string } }>;
  cursor: number;
  error?: { code: string; path?: string };
}

async function merge(
  url: string,
  token: string,
  docs: unknown[],
): Promise<{ status: number; body: MergeBody }> {
  const res = await fetch(`${url}/v1/merge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ docs }),
  });
  return { status: res.status, body: (await res.json()) as MergeBody };
}

/** A document edited on a clock reading `wall` (ms). */
function editAt(replica: string, wall: number, doc: DocState | undefined, intents: Intent[], docId?: string) {
  const clock = new HybridLogicalClock({ replica, now: () => wall });
  const c = createChange({ clock, type: WORK_ORDER, doc, ...(docId ? { docId } : {}), intents });
  return applyChange(doc ? docFromJSON(docToJSON(doc)) : undefined, c, WORK_ORDER);
}

const codes = (b: MergeBody) => b.results.map((r) => r.error?.code ?? r.status);

describe.each(engines)('POST /v1/merge: full document states (%s)', (engine) => {
  let srv: TestServer;
  let token: string;
  beforeAll(async () => {
    srv = await testServer({
      engine,
      limits: { maxBatch: 5 },
      permissions: {
        types: {
          workOrder: { write: (u, d) => d['team'] === undefined || d['team'] === u.claims['team'] },
        },
      },
    });
    token = await srv.token('anna', 'acme', { team: 'blue' });
  });
  afterAll(() => srv.close());

  const freshPull = async (): Promise<Map<string, Record<string, unknown>>> => {
    const p = new CorePeer(srv.url, await srv.token('reader', 'acme', { team: 'blue' }), 'reader');
    await p.pull();
    return new Map([...p.docs].map(([id, d]) => [id, materialize(d, WORK_ORDER)]));
  };

  it('stores what the server lacked, answers unchanged for what it holds, fans out over SSE', async () => {
    const anna = new CorePeer(srv.url, token, 'anna-1');
    const create = anna.change(undefined, [
      { op: 'set', path: ['title'], value: 'Pump' },
      { op: 'add', path: ['tags'], values: ['a'] },
    ]);
    expect((await anna.push([create])).status).toBe(200);
    const held = anna.docs.get(create.doc)!;
    const sse = await SseClient.open(`${srv.url}/v1/events?since=${(await anna.pull(), anna.cursor)}`, token);
    try {
      await sse.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      // The device holds the stored state (unchanged), a local edit the server never got, and a
      // document it created and never pushed (e.g. acknowledged by a store later restored).
      const edited = editAt('anna-1', Date.now(), held, [
        { op: 'set', path: ['status'], value: 'done' },
        { op: 'add', path: ['tags'], values: ['b'] },
      ]);
      const fresh = editAt('anna-1', Date.now(), undefined, [{ op: 'set', path: ['title'], value: 'Valve' }]);
      const r1 = await merge(srv.url, token, [docToJSON(held), docToJSON(fresh)]);
      expect(r1.status).toBe(200);
      expect(codes(r1.body)).toEqual(['unchanged', 'ok']);
      const r2 = await merge(srv.url, token, [docToJSON(edited)]);
      expect(codes(r2.body)).toEqual(['ok']);
      expect(r2.body.cursor).toBeGreaterThan(r1.body.cursor);
      // A join: sending the same states again changes nothing.
      expect(codes((await merge(srv.url, token, [docToJSON(edited), docToJSON(fresh)])).body)).toEqual([
        'unchanged',
        'unchanged',
      ]);
      const docs = await freshPull();
      expect(docs.get(create.doc)).toMatchObject({ title: 'Pump', status: 'done', tags: ['a', 'b'] });
      expect(docs.get(fresh.id)).toMatchObject({ title: 'Valve' });
      await sse.waitFor((ev) => {
        const ids = ev
          .filter((e) => e.event === 'sync')
          .flatMap((e) => (JSON.parse(e.data) as PullBody).docs as Array<{ id: string }>)
          .map((d) => d.id);
        return ids.includes(create.doc) && ids.includes(fresh.id);
      });
    } finally {
      await sse.close();
    }
  });

  it('joins with the stored state: concurrent writes on both sides survive', async () => {
    const anna = new CorePeer(srv.url, token, 'anna-2');
    const ben = new CorePeer(srv.url, await srv.token('ben', 'acme', { team: 'blue' }), 'ben-2');
    const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'T' }]);
    await anna.push([c]);
    await ben.pull();
    // Ben writes through the server; Anna's device holds an offline edit of another field.
    await ben.push([ben.change(c.doc, [{ op: 'set', path: ['priority'], value: 5 }])]);
    const local = editAt('anna-2', Date.now(), anna.docs.get(c.doc), [
      { op: 'set', path: ['site'], value: 'S1' },
    ]);
    expect(codes((await merge(srv.url, token, [docToJSON(local)])).body)).toEqual(['ok']);
    expect((await freshPull()).get(c.doc)).toMatchObject({ title: 'T', priority: 5, site: 'S1' });
  });

  it('rejects bad states one by one, with code and path; nothing of them is stored', async () => {
    const ok = editAt('anna-3', Date.now(), undefined, [{ op: 'set', path: ['title'], value: 'fine' }]);
    // A far-future stamp hidden in a set tag would win forever: clock_drift, naming where it is.
    const future = editAt('anna-3', Date.now() + 3_600_000, undefined, [
      { op: 'set', path: ['title'], value: 'x' },
    ]);
    const futureJson = docToJSON(future) as unknown as { fields: Record<string, unknown> };
    const base = docToJSON(
      editAt('anna-3', Date.now(), undefined, [
        { op: 'set', path: ['title'], value: 'tags' },
        { op: 'add', path: ['tags'], values: ['x'] },
      ]),
    ) as unknown as { id: string; fields: { tags: { a: Record<string, unknown> } } };
    const farTag = `${(futureJson.fields['title'] as { s: string }).s}/0`;
    const forgedSet = {
      ...base,
      fields: { ...base.fields, tags: { k: 's', a: { [farTag]: 'forged' }, r: [] } },
    };
    const wrongValue = docToJSON(ok) as unknown as { fields: Record<string, { v: unknown; s: string }> };
    const badTitle = {
      ...wrongValue,
      id: editAt('anna-3', Date.now(), undefined, [{ op: 'set', path: ['title'], value: 'y' }]).id,
      fields: { ...wrongValue.fields, title: { v: 42, s: wrongValue.fields['title']!.s } },
    };
    const tagsAsRegister = {
      ...badTitle,
      id: editAt('anna-3', Date.now(), undefined, [{ op: 'set', path: ['title'], value: 'z' }]).id,
      fields: { title: wrongValue.fields['title'], tags: { v: ['x'], s: wrongValue.fields['title']!.s } },
    };
    const noTitle = {
      ...wrongValue,
      id: editAt('anna-3', Date.now(), undefined, [{ op: 'set', path: ['title'], value: 'w' }]).id,
      fields: { site: { v: 's', s: wrongValue.fields['title']!.s } },
    };
    const unknownType = { ...docToJSON(ok), id: base.id.slice(0, -1) + 'Q', type: 'nope' };
    const reserved = { ...docToJSON(ok), type: '_types' };
    const res = await merge(srv.url, token, [
      forgedSet,
      badTitle,
      tagsAsRegister,
      { id: 'bad id!', type: 'workOrder', v: 1, fields: {} },
      noTitle,
    ]);
    expect(res.status).toBe(422);
    expect(res.body.results.map((r) => [r.error?.code, r.error?.path, r.error?.rule])).toEqual([
      ['clock_drift', `docs[0].fields["tags"].a[${JSON.stringify(farTag)}]`, undefined],
      ['invalid_doc', 'docs[1].fields.title', 'type'],
      ['invalid_doc', 'docs[2].fields.tags', 'merge-policy'],
      ['invalid_doc', 'docs[3].id', 'format'],
      ['invalid_doc', 'docs[4].fields.title', 'required'],
    ]);
    const more = await merge(srv.url, token, [unknownType, reserved, docToJSON(future), docToJSON(ok)]);
    expect(more.status).toBe(200);
    expect(codes(more.body)).toEqual(['unknown_type', 'reserved_type', 'clock_drift', 'ok']);
    const docs = await freshPull();
    for (const id of [base.id, badTitle.id, tagsAsRegister.id, future.id, noTitle.id])
      expect(docs.has(id)).toBe(false);
    expect(docs.get(ok.id)).toMatchObject({ title: 'fine' });
  });

  it('applies the write rule before and after, and the push limits', async () => {
    const red = await srv.token('rita', 'acme', { team: 'red' });
    const rita = new CorePeer(srv.url, red, 'rita-1');
    const c = rita.change(undefined, [
      { op: 'set', path: ['title'], value: 'red job' },
      { op: 'set', path: ['team'], value: 'red' },
    ]);
    await rita.push([c]);
    // Anna (team blue) may not change Rita's document, nor move one of her own into team red.
    const edited = editAt('anna-4', Date.now(), rita.docs.get(c.doc), [
      { op: 'set', path: ['site'], value: 'x' },
    ]);
    const mine = editAt('anna-4', Date.now(), undefined, [
      { op: 'set', path: ['title'], value: 'mine' },
      { op: 'set', path: ['team'], value: 'red' },
    ]);
    const r = await merge(srv.url, token, [docToJSON(edited), docToJSON(mine)]);
    expect(codes(r.body)).toEqual(['forbidden', 'forbidden']);
    const six = Array.from({ length: 6 }, () => docToJSON(mine));
    const tooMany = await merge(srv.url, token, six);
    expect([tooMany.status, tooMany.body.error?.code]).toEqual([413, 'batch_too_large']);
    const res = await fetch(`${srv.url}/v1/merge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ documents: [] }),
    });
    expect([res.status, ((await res.json()) as MergeBody).error?.code]).toEqual([400, 'bad_request']);
    expect(res.headers.get('fieldsync-epoch')).toBeTruthy();
  });
});
