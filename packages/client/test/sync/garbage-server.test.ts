import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docToJSON, type DocState, type TypeDef } from '@fieldsync/core';
import { createDatabase, ProtocolError, SyncHttpError, type Database } from '../../src/index.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';
import {
  cliToken,
  frontServer,
  send,
  serveCli,
  type CliServer,
  type FrontServer,
  type GarbageAnswer,
} from './garbageServer.js';

const WORK_ORDER: TypeDef = {
  name: 'workOrder',
  version: 1,
  fields: { title: { type: 'string', required: true }, status: { type: 'string' } },
};
const NOTE: TypeDef = { name: 'note', version: 1, fields: { text: { type: 'string' } } };

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** The ids of the changes a push request carries, answered `ok` (a well-formed answer). */
const oks = (body: string): Array<{ id: string; status: string }> =>
  (JSON.parse(body) as { changes: Array<{ id: string }> }).changes.map((c) => ({ id: c.id, status: 'ok' }));
const json = (status: number, body: unknown, headers?: Record<string, string>): GarbageAnswer => {
  return (_req, res) => send(res, status, typeof body === 'string' ? body : JSON.stringify(body), headers);
};
const sinceOf = (req: IncomingMessage): number =>
  Number(new URL(req.url ?? '', 'http://x').searchParams.get('since'));

/** What must survive any garbage: documents, the outbox (exactly), nothing set aside, the cursor. */
async function snapshot(db: Database): Promise<unknown> {
  return {
    docs: db
      .collection('workOrder')
      .find({})
      .fetch()
      .map((d) => ({ ...d }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id))),
    outbox: JSON.stringify(await db.outbox.peek(10_000)),
    rejected: db.rejectedChanges().length,
    rejectedTypes: db.types.rejectedTypes().length,
    cursor: await db.getMeta('sync.cursor'),
  };
}

/** The error `p` rejects with, which must be a `ProtocolError` naming `path` and `rule`. */
async function refused(p: Promise<unknown>, path: string, rule: string): Promise<ProtocolError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `${path} ${rule}`).toBeInstanceOf(ProtocolError);
  expect({ path: (e as ProtocolError).path, rule: (e as ProtocolError).rule }).toEqual({ path, rule });
  return e as ProtocolError;
}

/**
 * A real client (SQLite storage) against a node:http server that answers garbage to each
 * endpoint the client uses, in front of a real `fieldsync serve` process: every malformed answer
 * is a typed `ProtocolError` (path and rule), nothing local changes, and once the garbage is
 * gone — at the end the front server is replaced by a real server on its port — the client
 * syncs normally.
 */
describe('a server answering garbage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-garbage-'));
  const serverData = join(dir, 'server');
  const annaFile = join(dir, 'anna.sqlite');
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  const dbs: Database[] = [];
  let real: CliServer;
  let front: FrontServer;
  let anna: Database;
  let ben: Database;
  let annaToken: string;
  let benToken: string;

  const openAnna = async (url: string): Promise<Database> => {
    const db = await createDatabase({
      name: 'anna',
      replicaId: 'anna',
      storage: new SqliteStorage(annaFile),
      sync: { url, token: annaToken, autoStart: false, initialMs: 20, maxMs: 200, requestTimeoutMs: 10_000 },
    });
    dbs.push(db);
    return db;
  };
  const openBen = async (url: string): Promise<Database> => {
    const db = await createDatabase({
      name: 'ben',
      replicaId: 'ben',
      sync: { url, token: benToken, autoStart: false, live: false },
    });
    await db.defineType(WORK_ORDER);
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    real = await serveCli(serverData);
    front = await frontServer(real.url);
    [annaToken, benToken] = await Promise.all([cliToken('anna', 'acme'), cliToken('ben', 'acme')]);
    ben = await openBen(real.url);
    for (const title of ['Pump', 'Valve', 'Boiler']) await ben.collection('workOrder').insert({ title });
    await ben.sync!.flush();
    anna = await openAnna(front.url);
    await anna.defineType(WORK_ORDER);
    await anna.sync!.flush(); // through the front server, which forwards: anna holds ben's three
    expect(anna.collection('workOrder').find({}).count()).toBe(3);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const db of dbs) await db.close().catch(() => undefined);
    await front?.close();
    await real?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('push and define-type answers: a ProtocolError each; outbox, documents and cursor untouched', async () => {
    await anna.defineType(NOTE); // pushed (PUT /v1/types/note) before the outbox
    const [first] = anna.collection('workOrder').find({ title: 'Pump' }).fetch();
    await anna.collection('workOrder').insert({ title: 'Anna 1' });
    await anna.collection('workOrder').insert({ title: 'Anna 2' });
    await anna.collection('workOrder').update(String(first?.id), { $set: { status: 'done' } });
    const before = await snapshot(anna);
    expect(anna.sync!.status.pending).toBe(3);

    front.garbage('PUT /v1/types', json(200, { cursor: 1, changed: 'yes' }));
    await refused(anna.sync!.flush(), 'changed', 'boolean');
    expect(await snapshot(anna)).toEqual(before);
    front.garbage('PUT /v1/types', undefined);

    const cases: Array<[string, GarbageAnswer, string, string]> = [
      [
        'not JSON',
        json(200, '<html><body>502 Bad Gateway</body></html>', { 'content-type': 'text/html' }),
        '',
        'json',
      ],
      [
        'truncated',
        (_q, res, b) => send(res, 200, JSON.stringify({ results: oks(b), cursor: 9 }).slice(0, 30)),
        '',
        'json',
      ],
      ['results of the wrong type', json(200, '{"results":"ok","cursor":9}'), 'results', 'array'],
      ['no cursor', (_q, res, b) => send(res, 200, JSON.stringify({ results: oks(b) })), 'cursor', 'cursor'],
      [
        'a cursor past 2^53',
        (_q, res, b) =>
          send(res, 200, `{"results":${JSON.stringify(oks(b))},"cursor":123456789012345678901234567890}`),
        'cursor',
        'cursor',
      ],
      [
        'a cursor of 1e400',
        (_q, res, b) => send(res, 200, `{"results":${JSON.stringify(oks(b))},"cursor":1e400}`),
        'cursor',
        'cursor',
      ],
      [
        'a result missing',
        (_q, res, b) => send(res, 200, JSON.stringify({ results: oks(b).slice(1), cursor: 9 })),
        'results',
        'count',
      ],
      [
        'results of other changes',
        (_q, res, b) => send(res, 200, JSON.stringify({ results: oks(b).reverse(), cursor: 9 })),
        'results[0].id',
        'order',
      ],
      [
        'a rejection without a reason',
        (_q, res, b) =>
          send(
            res,
            422,
            JSON.stringify({ results: oks(b).map((r) => ({ ...r, status: 'rejected' })), cursor: 9 }),
          ),
        'results[0].error',
        'object',
      ],
      [
        'an unknown status',
        (_q, res, b) =>
          send(
            res,
            200,
            JSON.stringify({ results: oks(b).map((r) => ({ ...r, status: 'stored' })), cursor: 9 }),
          ),
        'results[0].status',
        'enum',
      ],
      [
        'a head of -1 on a well-formed answer',
        (_q, res, b) =>
          send(res, 200, JSON.stringify({ results: oks(b), cursor: 9 }), { 'Fieldsync-Head': '-1' }),
        'header Fieldsync-Head',
        'cursor',
      ],
    ];
    for (const [name, answer, path, rule] of cases) {
      front.garbage('POST /v1/push', answer);
      const e = await refused(anna.sync!.flush(), path, rule);
      expect(e.message, name).toContain('POST /v1/push');
      expect(await snapshot(anna), name).toEqual(before);
    }
    // An error status with a body that is no fieldsync error (a proxy's page) is an HTTP error.
    front.garbage('POST /v1/push', json(500, 'Internal Server Error', { 'content-type': 'text/plain' }));
    const e = await anna.sync!.flush().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SyncHttpError);
    expect([(e as SyncHttpError).status, (e as SyncHttpError).code]).toEqual([500, 'http_error']);
    expect(await snapshot(anna)).toEqual(before);

    front.garbage('POST /v1/push', undefined);
    await anna.sync!.flush();
    expect(anna.sync!.status.pending).toBe(0);
    await ben.sync!.flush();
    expect(ben.collection('workOrder').find({}).count()).toBe(5);
    expect(ben.collection('workOrder').findOne(String(first?.id))).toMatchObject({ status: 'done' });
  });

  it('pull and docs answers: a ProtocolError each; no document of a bad page is merged', async () => {
    for (const title of ['Crane', 'Hoist']) await ben.collection('workOrder').insert({ title });
    await ben.sync!.flush();
    const before = await snapshot(anna);
    const cursor = Number(await anna.getMeta('sync.cursor'));
    const [pump] = ben.collection('workOrder').find({ title: 'Pump' }).fetch();
    const valid = docToJSON(ben.collection('workOrder').states.get(String(pump?.id)) as DocState);
    const intruder = { ...valid, id: 'intruder1' };
    const page = (o: Record<string, unknown>): string =>
      JSON.stringify({ cursor: cursor + 10, types: [], docs: [], gone: [], more: false, ...o });

    const cases: Array<[string, GarbageAnswer, string, string]> = [
      [
        'not JSON',
        json(200, '<!doctype html><title>Login</title>', { 'content-type': 'text/html' }),
        '',
        'json',
      ],
      ['truncated', json(200, page({ docs: [intruder] }).slice(0, 60)), '', 'json'],
      ['an empty body', json(200, ''), '', 'json'],
      ['a cursor as a string', json(200, page({ cursor: String(cursor + 10) })), 'cursor', 'cursor'],
      ['no gone', json(200, JSON.stringify({ cursor: cursor + 10, types: [], docs: [] })), 'gone', 'array'],
      [
        'a cursor of 1e400',
        json(200, page({}).replace(/"cursor":\d+/, '"cursor":1e400')),
        'cursor',
        'cursor',
      ],
      [
        'a document without an id, after a good one',
        json(200, page({ docs: [intruder, { ...valid, id: 7 }] })),
        'docs[1].id',
        'doc-id',
      ],
      [
        'a document state core cannot read',
        json(200, page({ docs: [intruder, { ...valid, id: 'intruder2', fields: { title: { k: 'zz' } } }] })),
        'docs',
        'decode',
      ],
      [
        'a type of version 0',
        json(200, page({ types: [{ name: 'x', version: 0, fields: {} }] })),
        'types[0].version',
        'version',
      ],
      [
        '"more" without progress',
        (q, res) => send(res, 200, page({ cursor: sinceOf(q), more: true })),
        'cursor',
        'progress',
      ],
    ];
    for (const [name, answer, path, rule] of cases) {
      front.garbage('GET /v1/pull', answer);
      const e = await refused(anna.sync!.flush(), path, rule);
      expect(e.message, name).toContain('GET /v1/pull');
      expect(await snapshot(anna), name).toEqual(before);
      expect(anna.collection('workOrder').findOne('intruder1'), name).toBeUndefined();
    }
    front.garbage('GET /v1/pull', undefined);

    front.garbage('GET /v1/docs', json(200, { docs: [{ id: 'abc', v: 1, fields: {} }], missing: [] }));
    await refused(anna.sync!.fetchDocs(['abc']), 'docs[0].type', 'string');
    front.garbage('GET /v1/docs', undefined);

    await anna.sync!.flush();
    expect(anna.collection('workOrder').find({}).count()).toBe(7);
  });

  it('SSE events: a garbage event is a protocol error in the status, retried with backoff; later events are not applied', async () => {
    await anna.sync!.flush();
    const before = await snapshot(anna);
    const stream =
      (...events: string[]): GarbageAnswer =>
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`: connected\n\n${events.join('')}`); // and kept open
      };
    const statusSays = (kind: string, text: string) => (): boolean =>
      anna.sync!.status.lastErrorKind === kind && (anna.sync!.status.lastError ?? '').includes(text);

    // A bad event, then one that would move the cursor far ahead if it were applied.
    front.garbage(
      'GET /v1/events',
      stream(
        'id: 900\nevent: sync\ndata: {"cursor":900,"types":[],"docs":[{"id":"bad id"}],"gone":[]}\n\n',
        'id: 999999\nevent: sync\ndata: {"cursor":999999,"types":[],"docs":[],"gone":[]}\n\n',
      ),
    );
    const opened = front.seen.get('GET /v1/events') ?? 0;
    anna.sync!.start();
    await waitFor(statusSays('protocol', 'sync.docs[0].id: doc-id'));
    expect(anna.sync!.status.online).toBe(true); // the server answered: not a network failure
    // Retried with backoff (20 ms doubling to 200 ms here, full jitter): again and again, but
    // not at once — without the backoff a failing stream reconnects hundreds of times a second.
    const from = front.seen.get('GET /v1/events') ?? 0;
    await new Promise((r) => setTimeout(r, 1000));
    const retries = (front.seen.get('GET /v1/events') ?? 0) - from;
    console.log(`[garbage-server] ${retries} event-stream attempts in 1 s of garbage events`);
    expect(retries).toBeGreaterThanOrEqual(2);
    expect(retries).toBeLessThanOrEqual(40);
    expect(from).toBeGreaterThan(opened);
    expect(await snapshot(anna)).toEqual(before);

    const more: Array<[string, string]> = [
      ['event: sync\ndata: {"cursor":12,"types":[],"docs":[],"gon\n\n', 'sync: json'],
      ['event: ready\ndata: {"cursor":"soon"}\n\n', 'ready.cursor: cursor'],
      ['event: sync\ndata: {"cursor":1e400,"types":[],"docs":[],"gone":[]}\n\n', 'sync.cursor: cursor'],
      [
        'event: sync\ndata: {"cursor":3,"types":[],"docs":[{"id":"d1","type":"workOrder","v":1,"fields":{"title":5}}],"gone":[]}\n\n',
        'docs.title: state',
      ],
      // A state the database refuses only when merging it (past the wire check), with a later
      // event already received behind it: that one must not be applied either, or its cursor
      // would skip the refused event's range.
      [
        'id: 4\nevent: sync\ndata: {"cursor":4,"types":[],"docs":[{"id":"d1","type":"workOrder","v":1,"fields":{"status":7}}],"gone":[]}\n\n' +
          'id: 999999\nevent: sync\ndata: {"cursor":999999,"types":[],"docs":[],"gone":[]}\n\n',
        'docs.status: state',
      ],
    ];
    for (const [event, says] of more) {
      front.garbage('GET /v1/events', stream(event));
      await waitFor(statusSays('protocol', says));
      expect(await snapshot(anna), says).toEqual(before);
    }

    front.garbage('GET /v1/events', undefined);
    await waitFor(() => anna.sync!.status.live && anna.sync!.status.lastError === undefined);
    const id = await ben.collection('workOrder').insert({ title: 'Live one' });
    await ben.sync!.flush();
    await waitFor(() => anna.collection('workOrder').findOne(id) !== undefined);
    await anna.sync!.stop();
  });

  it('merge answers during a resync: a ProtocolError each; the resync stays pending, then completes against the real server', async () => {
    const before = await snapshot(anna);
    // A well-formed, empty page from "another store" (a new epoch): the client resyncs, finds the
    // server lacks every document it holds and pushes them back whole (POST /v1/merge).
    front.garbage(
      'GET /v1/pull',
      json(200, { cursor: 0, types: [], docs: [], gone: [] }, { 'Fieldsync-Epoch': 'restored-elsewhere' }),
    );
    const cases: Array<[string, GarbageAnswer, string, string]> = [
      ['not JSON', json(200, 'merged!', { 'content-type': 'text/plain' }), '', 'json'],
      ['no results', json(200, { results: [], cursor: 1 }), 'results', 'count'],
      [
        'an unknown status',
        (_q, res, b) =>
          send(
            res,
            200,
            JSON.stringify({
              results: (JSON.parse(b) as { docs: Array<{ id: string }> }).docs.map((d) => ({
                id: d.id,
                status: 'duplicate',
              })),
              cursor: 1,
            }),
          ),
        'results[0].status',
        'enum',
      ],
    ];
    for (const [name, answer, path, rule] of cases) {
      front.garbage('POST /v1/merge', answer);
      const e = await refused(anna.sync!.flush(), path, rule);
      expect(e.message, name).toContain('POST /v1/merge');
      expect(await snapshot(anna), name).toEqual(before);
      expect(await anna.getMeta('sync.resync'), name).toBe('merge'); // persisted: runs again
    }
    front.garbage('GET /v1/pull', undefined);
    front.garbage('POST /v1/merge', undefined);
    await anna.sync!.flush();
    expect(await anna.getMeta('sync.resync')).toBe('');
    expect(await snapshot(anna)).toEqual(before);
  });

  it('the local store on disk kept everything, and syncs once the garbage server is replaced by a real one', async () => {
    await anna.collection('workOrder').insert({ title: 'Written while the server is broken' });
    front.garbage('POST /v1/push', json(200, '{"results":[{"id":1}]}'));
    await refused(anna.sync!.flush(), 'cursor', 'cursor');
    const before = await snapshot(anna);
    await anna.close();
    anna = await openAnna(front.url);
    expect(await snapshot(anna)).toEqual(before); // reopened from SQLite: the same

    await front.close();
    await real.stop();
    real = await serveCli(serverData, front.port); // a real server where the garbage one was
    await anna.sync!.flush();
    expect(anna.sync!.status.pending).toBe(0);
    const ben2 = await openBen(real.url);
    await ben2.sync!.flush();
    const titles = (db: Database): string[] =>
      db
        .collection('workOrder')
        .find({})
        .fetch()
        .map((d) => String(d.title))
        .sort();
    expect(titles(ben2)).toEqual(titles(anna));
    expect(titles(anna)).toContain('Written while the server is broken');
    expect(titles(anna)).toHaveLength(9);
    anna.sync!.start();
    await waitFor(() => anna.sync!.status.live);
    expect(unhandled).toEqual([]);
  });
});
