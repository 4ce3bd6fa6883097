import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { startServer } from '../src/server.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';
import { sqliteGroupWrite, type WritePush } from '../src/storage/sqlite/sqliteGroupWrite.js';
import {
  CorePeer,
  SECRET,
  SseClient,
  WORK_ORDER,
  testServer,
  type TestServer,
} from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/**
 * The store headers of a response, checked for shape. An anonymous response (no valid token)
 * carries no head: the head is the caller's tenant's.
 */
function store(res: Response, known = true): { epoch: string; head: number; time: number } {
  const epoch = res.headers.get('fieldsync-epoch');
  const head = res.headers.get('fieldsync-head');
  const time = res.headers.get('fieldsync-time');
  expect(epoch, 'Fieldsync-Epoch').toMatch(/^[A-Za-z0-9_-]{22}$/);
  if (known) expect(head, 'Fieldsync-Head').toMatch(/^\d+$/);
  else expect(head, 'no Fieldsync-Head for an anonymous caller').toBeNull();
  expect(time, 'Fieldsync-Time').toMatch(/^\d+$/);
  return { epoch: epoch!, head: Number(head), time: Number(time) };
}

describe.each(engines)('every response carries the store epoch, head and time (%s)', (engine) => {
  let srv: TestServer;
  let token: string;
  beforeAll(async () => {
    srv = await testServer({ engine, limits: { maxBodyBytes: 10_000, maxBatch: 3 } });
    token = await srv.token('anna', 'acme');
  });
  afterAll(() => srv.close());
  const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  it('on success, on every kind of error, on health and on the SSE stream; head never below a cursor handed out', async () => {
    const before = Date.now();
    const health = await fetch(`${srv.url}/v1/health`);
    const h = store(health, false);
    expect(h.time).toBeGreaterThanOrEqual(before);
    expect(h.time).toBeLessThanOrEqual(Date.now());
    expect(store(await fetch(`${srv.url}/v1/health`, { headers: auth() })).head).toBe(0);

    const peer = new CorePeer(srv.url, token, 'anna-dev1');
    const c = peer.change(undefined, [{ op: 'set', path: ['title'], value: 'Pump' }]);
    const push = await fetch(`${srv.url}/v1/push`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ changes: [c] }),
    });
    const pushed = (await push.json()) as { cursor: number };
    expect(push.status).toBe(200);
    expect(store(push).head).toBeGreaterThanOrEqual(pushed.cursor);
    expect(store(await fetch(`${srv.url}/v1/health`, { headers: auth() })).head).toBe(pushed.cursor);

    // Another tenant's writes do not move this tenant's head (it would reveal their volume).
    const other = new CorePeer(srv.url, await srv.token('zed', 'other'), 'zed-dev1');
    await other.push([other.change(undefined, [{ op: 'set', path: ['title'], value: 'x' }])]);
    expect(store(await fetch(`${srv.url}/v1/pull?since=0`, { headers: auth() })).head).toBe(pushed.cursor);

    const pull = await fetch(`${srv.url}/v1/pull?since=0`, { headers: auth() });
    const page = (await pull.json()) as { cursor: number };
    expect(store(pull)).toMatchObject({ epoch: h.epoch });
    expect(store(pull).head).toBeGreaterThanOrEqual(page.cursor);

    for (const res of [
      await fetch(`${srv.url}/v1/pull`),
      await fetch(`${srv.url}/v1/pull`, { headers: { authorization: 'Bearer nope' } }),
    ]) {
      expect(res.status).toBe(401);
      expect(store(res, false).epoch).toBe(h.epoch);
    }
    // (Requests are made one at a time: a 413 closes its connection.)
    const errors: Array<[() => Promise<Response>, number, boolean]> = [
      [() => fetch(`${srv.url}/v1/nothing`, { headers: auth() }), 404, true],
      [() => fetch(`${srv.url}/v1/push`, { method: 'POST', headers: auth(), body: '{' }), 400, true],
      [() => fetch(`${srv.url}/v1/pull?since=-1`, { headers: auth() }), 400, true],
      // An oversized body is refused before the token is read: no tenant, no head.
      [
        () => fetch(`${srv.url}/v1/push`, { method: 'POST', headers: auth(), body: 'x'.repeat(20_000) }),
        413,
        false,
      ],
      [
        () =>
          fetch(`${srv.url}/v1/push`, {
            method: 'POST',
            headers: auth(),
            body: JSON.stringify({ changes: [1, 2, 3, 4] }),
          }),
        413,
        true,
      ],
      [
        () =>
          fetch(`${srv.url}/v1/push`, {
            method: 'POST',
            headers: auth(),
            body: JSON.stringify({ changes: [{ id: 'x' }] }),
          }),
        422,
        true,
      ],
    ];
    for (const [req, status, known] of errors) {
      const res = await req();
      expect(res.status).toBe(status);
      expect(store(res, known).epoch).toBe(h.epoch);
      const body = (await res.json()) as { error?: { code: string }; results?: unknown[] };
      expect(body.error?.code ?? body.results?.length).toBeTruthy();
    }

    const sse = await SseClient.open(`${srv.url}/v1/events?since=0`, token);
    try {
      await sse.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      const ready = JSON.parse(sse.events.find((e) => e.event === 'ready')!.data) as {
        cursor: number;
        epoch: string;
        head: number;
      };
      expect(ready).toEqual({ cursor: pushed.cursor, epoch: h.epoch, head: pushed.cursor });
    } finally {
      await sse.close();
    }
    const stream = await fetch(`${srv.url}/v1/events?since=0`, { headers: auth() });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(store(stream).epoch).toBe(h.epoch);
    await stream.body?.cancel();
  });
});

describe('the epoch is persisted with the store and differs between stores', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'fieldsync-epoch-'));
    dirs.push(d);
    return d;
  };

  it('SQLite: same epoch after a restart, another one for another file', async () => {
    const file = join(newDir(), 'db.sqlite');
    const a = new SqliteEngine({ file });
    const epoch = a.epoch();
    expect(epoch).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await a.close();
    const again = new SqliteEngine({ file });
    expect(again.epoch()).toBe(epoch);
    await again.close();
    const other = new SqliteEngine({ file: join(newDir(), 'db.sqlite') });
    expect(other.epoch()).not.toBe(epoch);
    await other.close();
  });

  it('SQLite: a layout-2 store written before epochs and content hashes gets them when opened, keeping its data', async () => {
    const file = join(newDir(), 'db.sqlite');
    // The layout-2 schema as the previous server wrote it (no hash column, no info/replicas/marks).
    const old = new Database(file);
    old.exec(`
      CREATE TABLE docs (tenant TEXT NOT NULL, id TEXT NOT NULL, h INTEGER NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
        deleted INTEGER NOT NULL, state TEXT NOT NULL, view TEXT NOT NULL);
      CREATE INDEX docs_h ON docs (h);
      CREATE INDEX docs_tenant_seq ON docs (tenant, seq);
      CREATE TABLE changes (tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (tenant, id)) WITHOUT ROWID;
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO meta VALUES ('seq', 1), ('layout', 2), ('hash_base', 12345);
      INSERT INTO changes VALUES ('acme', 'old-change', 'd1', 1);`);
    old.close();
    const e = new SqliteEngine({ file });
    expect(e.epoch()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // (Then migrated to layout 3: the tenant's sequence starts at the old global head.)
    expect(await e.tenantHead('acme')).toBe(1);
    expect(await e.maintenance.compacted('acme')).toBe(0);
    // The old change id is still known (a retry of it stays a duplicate), without a hash.
    let loaded: { known: string[]; hashes: number } | undefined;
    await e.commit({ tenant: 'acme', changeIds: ['old-change'], docIds: [] }, (l) => {
      loaded = { known: [...l.known], hashes: l.hashes.size };
      return { docs: [], changes: [] };
    });
    expect(loaded).toEqual({ known: ['old-change'], hashes: 0 });
    const epoch = e.epoch();
    await e.close();
    const again = new SqliteEngine({ file });
    expect(again.epoch()).toBe(epoch);
    await again.close();
  });

  it('a restarted server answers with the same epoch; CORS-free clients read the headers', async () => {
    const dir = newDir();
    const start = () =>
      startServer({
        storage: new SqliteEngine({ file: join(dir, 'db.sqlite') }),
        secret: SECRET,
        port: 0,
        types: [WORK_ORDER],
      });
    const s1 = await start();
    const e1 = (await fetch(`${s1.url}/v1/health`)).headers.get('fieldsync-epoch');
    expect(e1).toBeTruthy();
    await s1.close();
    const s2 = await start();
    const token = await signToken(SECRET, { user: 'a', tenant: 't' });
    const res = await fetch(`${s2.url}/v1/pull`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.headers.get('fieldsync-epoch')).toBe(e1);
    await s2.close();
  });
});

describe('SQLite writer: a replica bound by another connection after the main thread read', () => {
  it('is a conflict (the push is merged again and then sees the owner), never a silent second owner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldsync-bind-'));
    try {
      const file = join(dir, 'db.sqlite');
      await new SqliteEngine({ file }).close();
      const db = new Database(file);
      const write = sqliteGroupWrite(db, { synchronous: 'NORMAL', autoCheckpoint: true, busyTimeoutMs: 0 });
      const push = (user: string, id: string): WritePush => ({
        tenant: 't',
        docs: [0, 0, id, 1, 'note', 0, '{}', '{}'],
        changes: [`c-${id}`, id, `h-${id}`],
        binds: ['r1', user],
      });
      // Both read "r1 unbound"; the first binds it, the second must not be stored.
      expect(write([push('anna', 'd1')])).toEqual({ outcomes: [{ to: 1 }] });
      expect(write([push('ben', 'd2')])).toEqual({ outcomes: [{ conflict: true }] });
      // The same user binding again (two pushes of one device racing) is fine.
      expect(write([push('anna', 'd3')])).toEqual({ outcomes: [{ to: 2 }] });
      expect(db.prepare('SELECT owner FROM replicas').all()).toEqual([{ owner: 'anna' }]);
      expect(db.prepare('SELECT id, hash FROM changes ORDER BY id').all()).toEqual([
        { id: 'c-d1', hash: 'h-d1' },
        { id: 'c-d3', hash: 'h-d3' },
      ]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
