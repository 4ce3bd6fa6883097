import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCS_IDS, createDocId, docFromJSON, isDeleted, parseDocsResponse } from '@fieldsync/core';
import type { Permissions } from '../src/auth/rules.js';
import { CorePeer, testServer, type PullBody, type TestServer } from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** Technicians read work orders of their team only; dispatchers read everything. */
const PERMISSIONS: Permissions = {
  types: {
    workOrder: {
      read: (u, d) => u.claims['role'] === 'dispatcher' || u.claims['team'] === d['team'],
    },
  },
};

async function getDocs(url: string, token: string | undefined, query: string) {
  const res = await fetch(`${url}/v1/docs${query}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as unknown };
}

const errorOf = (body: unknown) =>
  (body as { error: { code: string; path?: string; message: string } }).error;

describe.each(engines)('GET /v1/docs?ids=… (%s)', (engine) => {
  let srv: TestServer;
  let dispatcher: string;
  let north: CorePeer;
  let a: string;
  let b: string;
  let gone: string;
  beforeAll(async () => {
    srv = await testServer({ engine, permissions: PERMISSIONS });
    dispatcher = await srv.token('disp', 'acme', { role: 'dispatcher' });
    const w = new CorePeer(srv.url, dispatcher, 'w1');
    const ca = w.change(undefined, [
      { op: 'set', path: ['title'], value: 'Pump' },
      { op: 'set', path: ['team'], value: 'north' },
    ]);
    const cb = w.change(undefined, [
      { op: 'set', path: ['title'], value: 'Valve' },
      { op: 'set', path: ['team'], value: 'south' },
    ]);
    const cg = w.change(undefined, [
      { op: 'set', path: ['title'], value: 'Old' },
      { op: 'set', path: ['team'], value: 'north' },
    ]);
    a = ca.doc;
    b = cb.doc;
    gone = cg.doc;
    const del = w.change(gone, [{ op: 'delete' }]);
    expect((await w.push([ca, cb, cg, del])).status).toBe(200);
    north = new CorePeer(srv.url, await srv.token('tech', 'acme', { role: 'tech', team: 'north' }), 't1');
  });
  afterAll(() => srv.close());

  it('answers the stored states of the ids asked for, the same a pull sends, and unknown ids as missing', async () => {
    const unknown = createDocId();
    const res = await getDocs(srv.url, dispatcher, `?ids=${a},${unknown},${b},${a}`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/application\/json/);
    const body = parseDocsResponse(res.body);
    expect(body.docs.map((d) => (d as { id: string }).id).sort()).toEqual([a, b].sort());
    expect(body.missing).toEqual([unknown]);
    const pulled = (await (
      await fetch(`${srv.url}/v1/pull?since=0`, { headers: { authorization: `Bearer ${dispatcher}` } })
    ).json()) as PullBody;
    for (const doc of body.docs)
      expect(doc).toEqual(pulled.docs.find((p) => (p as { id: string }).id === (doc as { id: string }).id));
  });

  it('answers a deleted document with its tombstoned state', async () => {
    const body = parseDocsResponse((await getDocs(srv.url, dispatcher, `?ids=${gone}`)).body);
    expect(body.missing).toEqual([]);
    expect(isDeleted(docFromJSON(body.docs[0]))).toBe(true);
  });

  it("applies the tenant's read rules: a document the caller cannot read is missing, like an unknown id", async () => {
    const unknown = createDocId();
    const res = await getDocs(srv.url, north.token, `?ids=${a},${b},${unknown}`);
    expect(res.status).toBe(200);
    const body = parseDocsResponse(res.body);
    expect(body.docs.map((d) => (d as { id: string }).id)).toEqual([a]);
    expect(body.missing).toEqual([b, unknown]);
    expect(JSON.stringify(body)).not.toContain('Valve');
  });

  it("never answers another tenant's documents", async () => {
    const other = await srv.token('disp', 'other-co', { role: 'dispatcher' });
    const body = parseDocsResponse((await getDocs(srv.url, other, `?ids=${a},${b}`)).body);
    expect(body).toEqual({ docs: [], missing: [a, b] });
  });

  it(`refuses more than ${MAX_DOCS_IDS} ids with 400 too_many_ids, and takes exactly ${MAX_DOCS_IDS}`, async () => {
    const ids = Array.from({ length: MAX_DOCS_IDS }, () => createDocId());
    const ok = await getDocs(srv.url, dispatcher, `?ids=${ids.join(',')}`);
    expect(ok.status).toBe(200);
    expect(parseDocsResponse(ok.body).missing).toHaveLength(MAX_DOCS_IDS);
    const over = await getDocs(srv.url, dispatcher, `?ids=${[...ids, a].join(',')}`);
    expect(over.status).toBe(400);
    expect(over.type).toMatch(/application\/json/);
    expect(errorOf(over.body)).toMatchObject({ code: 'too_many_ids', path: 'ids', max: MAX_DOCS_IDS });
    expect(errorOf(over.body).message).toContain(`at most ${MAX_DOCS_IDS}`);
  });

  it('refuses a request without ids or with an id that is not a document id (400 bad_ids)', async () => {
    for (const query of ['', '?ids=', `?ids=${a},,${b}`, `?ids=${a},x%00y`, `?ids=_types/workOrder/1/h`]) {
      const res = await getDocs(srv.url, dispatcher, query);
      expect(res.status, query).toBe(400);
      expect(errorOf(res.body).code, query).toBe('bad_ids');
    }
    expect(errorOf((await getDocs(srv.url, dispatcher, `?ids=${a},x%00y`)).body).path).toBe('ids[1]');
  });

  it('requires a token', async () => {
    const res = await getDocs(srv.url, undefined, `?ids=${a}`);
    expect(res.status).toBe(401);
    expect(errorOf(res.body).code).toBe('unauthorized');
  });
});
