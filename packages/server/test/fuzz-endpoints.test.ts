import fc from 'fast-check';
import { FC_SEED } from '../../../testing/fcSeed.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HybridLogicalClock, createChange, type Change } from '@fieldsync/core';
import { WORK_ORDER, testServer, type TestServer } from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const wanted = (process.env['FUZZ_ENGINES'] ?? 'sqlite,postgres').split(',');
const engines: Array<'sqlite' | 'postgres'> = wanted.includes('sqlite') ? ['sqlite'] : [];
if (wanted.includes('postgres') && (await pgReachable())) engines.push('postgres');

/**
 * Seeded fuzzing of every endpoint over real HTTP: malformed, truncated, oversized, deeply nested,
 * wrongly typed and hostile-string input. Properties: the server answers every request with a
 * JSON body and never a 5xx, stays up, and input it rejects changes nothing that is stored.
 *
 * `FUZZ_RUNS` sets the cases per property (default 50 for `npm test`; `npm run fuzz` runs
 * 10,000 per property); `FC_SEED` replays a run; the seed is printed. Runs on SQLite and, when
 * reachable, PostgreSQL (`FUZZ_ENGINES=sqlite` or `=postgres` for one).
 */
const SEED = FC_SEED;
const RUNS = process.env['FUZZ_RUNS'] !== undefined ? Number(process.env['FUZZ_RUNS']) : 50;
const settings = { seed: SEED, numRuns: RUNS, endOnFailure: true };
const MAX_BODY = 256 * 1024;
/** Per property: up to 100 ms a case (a loaded 2-core machine answers in ~30 ms). */
const TIMEOUT = Math.max(60_000, RUNS * 100);

/** Any UTF-16 code unit, NUL and lone surrogates included. */
const hostileString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const edgeString = fc.oneof(
  hostileString,
  fc.constantFrom(
    '',
    '\u0000',
    '\ud800',
    '\udfff',
    'a\ud83d',
    '__proto__',
    'constructor',
    '$deleted',
    '😀',
    'x'.repeat(5000),
  ),
);
const scalar = fc.oneof(
  edgeString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308),
);
const { value: anyJson } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(edgeString, tie('value'), { maxKeys: 4 }),
  ),
}));
/** JSON text nested `n` levels (built as text: JSON.stringify overflows the stack far earlier). */
const deepText = fc
  .tuple(fc.integer({ min: 50, max: 30_000 }), fc.constantFrom('[', '{"a":'))
  .map(([n, open]) => open.repeat(n) + '1' + (open === '[' ? ']' : '}').repeat(n));

describe.each(engines)('fuzzing every endpoint (%s)', (engine) => {
  let srv: TestServer;
  let token: string;
  let clock: HybridLogicalClock;
  // Every request carries the fuzzer's token (or none, or garbage): only tenant `fuzz` can be written.
  const head = () => srv.context.storage.tenantHead('fuzz');
  const valid = (): Change =>
    createChange({
      clock,
      type: WORK_ORDER,
      doc: undefined,
      intents: [
        { op: 'set', path: ['title'], value: 'fuzz' },
        { op: 'set', path: ['priority'], value: 1 },
      ],
    });
  /** A valid change with one part replaced by fuzz. */
  const mutatedChange = fc
    .tuple(
      fc.constantFrom(
        'id',
        'doc',
        'type',
        'v',
        'stamp',
        'ops',
        'th',
        'ops.title',
        'ops.priority',
        'ops.x',
        'extra',
      ),
      anyJson,
    )
    .map(([where, value]) => {
      const c = valid() as unknown as Record<string, unknown>;
      if (where.startsWith('ops.')) (c['ops'] as Record<string, unknown>)[where.slice(4)] = value;
      else c[where] = value;
      return c;
    });

  const send = async (
    method: string,
    path: string,
    body?: string,
    auth: string | null = `Bearer ${token}`,
  ): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: { ...(auth === null ? {} : { authorization: auth }), 'content-type': 'application/json' },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(
        `${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    return { status: res.status, json };
  };
  /**
   * The property every request must hold: a JSON answer below 500; rejected input stores nothing.
   * A body over the limit is answered 413 while it is still being sent; when the client cannot
   * finish sending before the server closes the connection, it sees the close instead (HTTP/1.1
   * allows both): then the server must still be up and nothing stored.
   */
  const check = async (method: string, path: string, body?: string, auth?: string | null): Promise<void> => {
    const before = await head();
    let answer: { status: number; json: unknown };
    try {
      answer = await send(method, path, body, auth);
    } catch (e) {
      const oversized = body !== undefined && Buffer.byteLength(body) > MAX_BODY;
      if (!oversized || (e as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw e;
      expect((await fetch(`${srv.url}/v1/health`)).status).toBe(200);
      expect(await head()).toBe(before);
      return;
    }
    const { status, json } = answer;
    if (status >= 500) throw new Error(`${method} ${path} → ${status} ${JSON.stringify(json).slice(0, 300)}`);
    if (status !== 200) expect(await head()).toBe(before);
  };

  beforeAll(async () => {
    srv = await testServer({
      engine,
      limits: { maxBodyBytes: MAX_BODY, rate: { perSecond: 1e6, burst: 1e6 } },
    });
    token = await srv.token('fuzzer', 'fuzz');
    clock = new HybridLogicalClock({ replica: 'fuzz' });
    console.log(`[fuzz ${engine}] seed ${SEED}, ${RUNS} cases per property (FC_SEED / FUZZ_RUNS to change)`);
  });
  afterAll(() => srv.close());

  it(
    'POST /v1/push: arbitrary bodies, mutated changes, truncated and deep JSON',
    async () => {
      const body = fc.oneof(
        anyJson.map((v) => JSON.stringify(v)),
        fc
          .array(fc.oneof(mutatedChange, anyJson), { maxLength: 5 })
          .map((changes) => JSON.stringify({ changes })),
        fc.tuple(fc.array(mutatedChange, { minLength: 1, maxLength: 3 }), fc.nat()).map(([changes, cut]) => {
          const text = JSON.stringify({ changes });
          return text.slice(0, cut % text.length); // truncated
        }),
        deepText.map((d) => `{"changes":[${d}]}`),
        deepText.map((d) =>
          JSON.stringify({ changes: [{ ...valid(), ops: '__D__' }] }).replace('"__D__"', d),
        ),
        fc.nat({ max: 400_000 }).map((n) => JSON.stringify({ changes: [], pad: 'x'.repeat(n) })), // oversized
      );
      await fc.assert(
        fc.asyncProperty(body, async (b) => check('POST', '/v1/push', b)),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'GET /v1/pull, /v1/events and /v1/docs: arbitrary cursors, limits, types, filters and ids',
    async () => {
      const param = fc.oneof(
        edgeString,
        fc.integer().map(String),
        deepText,
        anyJson.map((v) => JSON.stringify(v)),
      );
      const query = fc
        .record({ since: param, limit: param, types: param, where: param, ids: param }, { requiredKeys: [] })
        .map((q) => new URLSearchParams(Object.entries(q).map(([k, v]) => [k, v.slice(0, 4000)])).toString());
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          await check('GET', `/v1/pull?${q}`);
          await check('GET', `/v1/docs?${q}`);
          // Events: anything but a 200 is answered in full; a 200 is a stream, closed at once.
          const ctrl = new AbortController();
          const res = await fetch(`${srv.url}/v1/events?${q}`, {
            headers: { authorization: `Bearer ${token}` },
            signal: ctrl.signal,
          });
          if (res.status >= 500) throw new Error(`events ${q} → ${res.status}`);
          if (res.status === 200) ctrl.abort();
          else JSON.parse(await res.text());
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'PUT /v1/types/:name: arbitrary and deeply nested definitions',
    async () => {
      const field = fc.oneof(
        anyJson,
        fc.record(
          {
            type: fc.constantFrom('string', 'number', 'object', 'list', 'enum', 'text', 'nope'),
            values: anyJson,
            fields: anyJson,
            of: anyJson,
          },
          { requiredKeys: ['type'] },
        ),
      );
      const def = fc.oneof(
        fc
          .record(
            {
              name: fc.constant('fz'),
              version: fc.oneof(fc.integer(), anyJson),
              fields: fc.dictionary(edgeString, field, { maxKeys: 3 }),
              migrations: anyJson,
            },
            { requiredKeys: ['name'] },
          )
          .map((d) => JSON.stringify(d)),
        deepText.map((d) => `{"name":"fz","version":1,"fields":{"a":${d}}}`),
        fc
          .integer({ min: 30, max: 20_000 })
          .map(
            (n) =>
              `{"name":"fz","version":1,"fields":{"a":${'{"type":"object","fields":{"a":'.repeat(n)}{"type":"string"}${'}}'.repeat(n)}}}`,
          ),
        anyJson.map((v) => JSON.stringify(v)),
      );
      await fc.assert(
        fc.asyncProperty(def, async (d) => check('PUT', '/v1/types/fz', d)),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'every endpoint: arbitrary Authorization headers are a JSON 401',
    async () => {
      const auth = fc.oneof(
        fc.string({ maxLength: 200 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`),
        fc.string({ maxLength: 100 }).map((s) => s.replace(/[\r\n]/g, '')),
      );
      const route = fc.constantFrom(
        ['POST', '/v1/push'],
        ['GET', '/v1/pull'],
        ['GET', '/v1/events'],
        ['GET', '/v1/docs?ids=a'],
        ['PUT', '/v1/types/fz'],
      );
      await fc.assert(
        fc.asyncProperty(auth, route, async (a, [method, path]) => {
          let header: string;
          try {
            header = new Headers({ authorization: a }).get('authorization') ?? '';
          } catch {
            return; // not sendable as a header at all
          }
          const before = await head();
          const { status } = await send(
            method as string,
            path as string,
            method === 'GET' ? undefined : '{}',
            header,
          );
          expect(status).toBe(401);
          expect(await head()).toBe(before);
        }),
        settings,
      );
      expect((await fetch(`${srv.url}/v1/health`)).status).toBe(200);
    },
    TIMEOUT,
  );
});
