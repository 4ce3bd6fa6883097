import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { CorePeer, testServer, type PullBody, type TestServer } from '../../../testing/server/harness.js';

/** Bad input and limits: always a 4xx JSON error naming the problem; the server keeps serving. */
describe('limits and bad input', () => {
  let srv: TestServer;
  let token: string;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
    });
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string } }).error;

  beforeAll(async () => {
    srv = await testServer({
      limits: { maxBatch: 5, maxBodyBytes: 20_000, rate: { perSecond: 1000, burst: 1000 } },
    });
    token = await srv.token('anna', 'acme');
  });
  afterAll(() => srv.close());

  it('malformed JSON → 400 bad_json', async () => {
    const res = await post('/v1/push', '{"changes": [');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'bad_json' });
  });

  it('wrong body shape → 400 naming the field', async () => {
    const res = await post('/v1/push', '{"change": []}');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'bad_request', path: 'changes' });
  });

  it('batch over the limit → 413 batch_too_large, nothing applied', async () => {
    const p = new CorePeer(srv.url, token, 'p');
    const changes = Array.from({ length: 6 }, (_, i) =>
      p.change(undefined, [{ op: 'set', path: ['title'], value: `t${i}` }]),
    );
    const res = await post('/v1/push', JSON.stringify({ changes }));
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: 'batch_too_large' });
    const fresh = new CorePeer(srv.url, token, 'f');
    await fresh.pull();
    expect(changes.some((c) => fresh.docs.has(c.doc))).toBe(false);
  });

  it('body over the limit → 413 body_too_large', async () => {
    const res = await post('/v1/push', JSON.stringify({ changes: [], pad: 'x'.repeat(30_000) }));
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: 'body_too_large' });
  });

  it('missing, forged, expired or claim-less tokens → 401 naming the problem', async () => {
    expect((await fetch(`${srv.url}/v1/pull`)).status).toBe(401);
    const forged = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .sign(new TextEncoder().encode('wrong-secret'));
    const expired = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode('test-secret-0123456789-abcdefghijklmnop'));
    const noTenant = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('test-secret-0123456789-abcdefghijklmnop'));
    for (const [t, words] of [
      [forged, 'signature'],
      [expired, 'exp'],
      [noTenant, 'tenant'],
      ['not-a-jwt', 'invalid token'],
    ] as const) {
      const res = await fetch(`${srv.url}/v1/pull`, { headers: { authorization: `Bearer ${t}` } });
      expect(res.status).toBe(401);
      const err = await errorOf(res);
      expect(err.code).toBe('bad_token');
      expect(err.message).toContain(words);
    }
  });

  it('bad cursors, limits and filters → 400', async () => {
    const where = (w: unknown): string => `where=${encodeURIComponent(JSON.stringify(w))}`;
    for (const q of [
      'since=-1',
      'since=abc',
      'limit=0',
      'where=%7Bnope',
      'where=%5B1%5D',
      where({ a: { $regex: 'x' } }),
      where({ a: { $gt: {} } }),
      where({ a: { $in: 1 } }),
      where({ a: {} }),
    ]) {
      const res = await fetch(`${srv.url}/v1/pull?${q}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, q).toBe(400);
      expect((await errorOf(res)).code).toMatch(/bad_/);
    }
    const res = await fetch(
      `${srv.url}/v1/pull?${where({ priority: { $gte: 3 }, status: { $nin: ['closed'] } })}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(res.status).toBe(200);
    const named = await errorOf(
      await fetch(`${srv.url}/v1/pull?${where({ site: { $near: 1 } })}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(named).toMatchObject({ code: 'bad_filter', path: 'where.site.$near' });
    const ev = await fetch(`${srv.url}/v1/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': 'x' },
    });
    expect(ev.status).toBe(400);
  });

  it('unknown routes → 404 JSON', async () => {
    const res = await fetch(`${srv.url}/v2/push`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
  });

  it('garbage changes of every shape are rejected one by one; the server keeps running', async () => {
    const garbage: unknown[] = [
      null,
      1,
      'x',
      [],
      {},
      { id: 1 },
      { id: 'a', doc: 'b', type: 'workOrder', stamp: 'nope', v: 1, ops: {} },
    ];
    const p = new CorePeer(srv.url, token, 'g');
    const real = p.change(undefined, [{ op: 'set', path: ['title'], value: 'survivor' }]);
    const weird = { ...p.change(undefined, [{ op: 'set', path: ['title'], value: 'w' }]) };
    weird.ops = { title: { nonsense: true }, __proto__x: 1 };
    const res = await post('/v1/push', JSON.stringify({ changes: [...garbage.slice(0, 3), real, weird] }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ status: string }> };
    expect(body.results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'ok', 'rejected']);
    const res2 = await post('/v1/push', JSON.stringify({ changes: garbage.slice(3) }));
    expect(res2.status).toBe(422);
    expect((await fetch(`${srv.url}/v1/health`)).status).toBe(200);
  });

  it('per-token rate limit → 429 with Retry-After', async () => {
    const limited = await testServer({ limits: { rate: { perSecond: 1, burst: 3 } } });
    try {
      const t = await limited.token('spam', 'acme');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (await fetch(`${limited.url}/v1/pull`, { headers: { authorization: `Bearer ${t}` } })).status,
        );
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const res = await fetch(`${limited.url}/v1/pull`, { headers: { authorization: `Bearer ${t}` } });
      expect(res.headers.get('retry-after')).toBe('1');
      // Another token is not affected.
      const other = await limited.token('calm', 'acme');
      expect(
        (await fetch(`${limited.url}/v1/pull`, { headers: { authorization: `Bearer ${other}` } })).status,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('types are data: defined through PUT /v1/types/:name, validated, versioned, delivered by pull before records', async () => {
    const put = (name: string, def: unknown) =>
      fetch(`${srv.url}/v1/types/${name}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(def),
      });
    const inspection = { name: 'inspection', version: 1, fields: { notes: { type: 'string' } } };
    expect((await put('inspection', { ...inspection, fields: { notes: { type: 'nope' } } })).status).toBe(
      422,
    );
    expect((await put('inspection', { ...inspection, name: 'other' })).status).toBe(400);
    expect((await put('inspection', inspection)).status).toBe(200);
    expect(await (await put('inspection', inspection)).json()).toMatchObject({ changed: false });
    const older = await put('inspection', { ...inspection, fields: {} });
    expect(older.status).toBe(409);
    const p = new CorePeer(srv.url, token, 'insp', inspection as never);
    const c = p.change(undefined, [{ op: 'set', path: ['notes'], value: 'ok' }]);
    expect((await p.push([c])).body.results[0]?.status).toBe('ok');
    const res = await fetch(`${srv.url}/v1/pull?since=0&types=inspection`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as PullBody;
    expect(body.types).toEqual([inspection]);
    expect(body.docs).toHaveLength(1);
    // Pushing into the system collection directly is refused.
    const sys = await p.push([{ ...c, id: p.clock.now(), type: '_types' }]);
    expect(sys.body.results[0]?.error?.code).toBe('reserved_type');
  });
});
