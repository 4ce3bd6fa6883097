import http from 'node:http';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorePeer, testServer, type TestServer } from '../../../testing/server/harness.js';
import { bodyLimit } from '../src/http/bodyLimit.js';
import { errorResponse } from '../src/http/errorResponse.js';

/** A POST whose `body` getter is counted: the web body stream the limit must not open needlessly. */
function countedRequest(
  body: string,
  headers: Record<string, string>,
): { req: Request; opened: () => number } {
  const req = new Request('http://test/v1/push', { method: 'POST', headers, body });
  const stream = req.body;
  let opened = 0;
  Object.defineProperty(req, 'body', {
    get: () => {
      opened++;
      return stream;
    },
  });
  return { req, opened: () => opened };
}

describe('request body limit', () => {
  const app = new Hono();
  app.onError((e, c) => errorResponse(e, c, 'unexpected'));
  app.use('*', bodyLimit(100));
  app.post('/v1/push', async (c) => c.text(`read ${(await c.req.text()).length}`));

  it('judges a body with a Content-Length by the header, without opening the web body stream', async () => {
    // On @hono/node-server, opening `body` builds a full web Request per request (the cost this avoids).
    const ok = countedRequest('{"changes":[]}', { 'content-length': '14' });
    const res = await app.fetch(ok.req);
    expect(await res.text()).toBe('read 14');
    expect(ok.opened()).toBe(0);

    const big = countedRequest('x'.repeat(101), { 'content-length': '101' });
    const refused = await app.fetch(big.req);
    expect(refused.status).toBe(413);
    expect(refused.headers.get('connection')).toBe('close');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    expect(big.opened()).toBe(0);
  });

  it('counts a body without a declared length while reading it', async () => {
    const res = await app.fetch(
      new Request('http://test/v1/push', { method: 'POST', body: 'x'.repeat(101) }),
    );
    expect(res.status).toBe(413);
    const small = await app.fetch(
      new Request('http://test/v1/push', { method: 'POST', body: 'x'.repeat(100) }),
    );
    expect(await small.text()).toBe('read 100');
  });
});

describe('request body limit on a real server', () => {
  let srv: TestServer;
  let token: string;
  beforeAll(async () => {
    srv = await testServer({ limits: { maxBodyBytes: 20_000 } });
    token = await srv.token('anna', 'acme');
  });
  afterAll(() => srv.close());

  /** POSTs `chunks` with chunked transfer encoding (no Content-Length). */
  const chunked = (chunks: string[]): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        `${srv.url}/v1/push`,
        { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (s: string) => (text += s));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });

  it('a chunked push within the limit is stored; one over it is a 413 and stores nothing', async () => {
    const p = new CorePeer(srv.url, token, 'p');
    const change = p.change(undefined, [{ op: 'set', path: ['title'], value: 'chunked' }]);
    const body = JSON.stringify({ changes: [change] });
    const ok = await chunked([body.slice(0, 10), body.slice(10)]);
    expect(ok.status).toBe(200);
    const big = p.change(undefined, [{ op: 'set', path: ['title'], value: 'y'.repeat(30_000) }]);
    const bigBody = JSON.stringify({ changes: [big] });
    const refused = await chunked([bigBody.slice(0, 15_000), bigBody.slice(15_000)]).catch(() => undefined);
    // The server may answer 413 before the rest is sent, or cut the connection: never store it.
    if (refused) expect(refused.status).toBe(413);
    const fresh = new CorePeer(srv.url, token, 'f');
    await fresh.pull();
    expect(fresh.docs.has(change.doc)).toBe(true);
    expect(fresh.docs.has(big.doc)).toBe(false);
  });
});
