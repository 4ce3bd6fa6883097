import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { docFromJSON, materialize } from '@fieldsync/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SECRET } from '../src/auth/jwt.js';
import { DEMO_TYPES } from '../src/demo/demoData.js';
import { startServer, type RunningServer } from '../src/server.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';
import { SECRET } from '../../../testing/server/harness.js';

const CLI = resolve(import.meta.dirname, '../dist/cli.js');
const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const storageIn = (dir: string): SqliteEngine =>
  new SqliteEngine({ file: join(dir, 'db.sqlite'), synchronous: 'NORMAL' });

/** A built app as adapter-static writes it: index.html (the fallback), hashed assets, a service worker. */
function fakeBuild(): string {
  const dir = tempDir('fieldsync-app-');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>work orders</title>');
  mkdirSync(join(dir, '_app', 'immutable', 'entry'), { recursive: true });
  writeFileSync(
    join(dir, '_app', 'immutable', 'entry', 'start.abc123.js'),
    'export const x = 1;'.repeat(200),
  );
  writeFileSync(join(dir, 'service-worker.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Work orders"}');
  return dir;
}

type Json = Record<string, unknown>;
const json = async (res: Response): Promise<Json> => (await res.json()) as Json;

async function pullAll(url: string, token: string): Promise<{ docs: Json[]; types: Json[]; cursor: number }> {
  const docs: Json[] = [];
  const types: Json[] = [];
  let since = 0;
  for (;;) {
    const res = await fetch(`${url}/v1/pull?since=${since}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { docs: Json[]; types: Json[]; cursor: number; more: boolean };
    docs.push(...page.docs);
    types.push(...page.types);
    since = page.cursor;
    if (!page.more) return { docs, types, cursor: since };
  }
}

async function signIn(url: string, user: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${url}/v1/demo/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  return { status: res.status, body: await json(res) };
}

describe('demo mode', () => {
  let server: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir('fieldsync-demo-');
    server = await startServer({ storage: storageIn(dataDir), secret: DEV_SECRET, port: 0, demo: true });
  });
  afterAll(() => server?.close());

  it('lists the demo users and signs one in with a token carrying tenant, role and name', async () => {
    const users = await json(await fetch(`${server.url}/v1/demo/users`));
    expect(users['users']).toEqual([
      { id: 'anna', name: 'Anna Berg', role: 'technician' },
      { id: 'ben', name: 'Ben Okafor', role: 'technician' },
      { id: 'carla', name: 'Carla Reyes', role: 'technician' },
      { id: 'dora', name: 'Dora Lind', role: 'dispatcher' },
      { id: 'adam', name: 'Adam Novak', role: 'admin' },
    ]);
    const { status, body } = await signIn(server.url, 'anna');
    expect(status).toBe(200);
    expect(body).toMatchObject({ tenant: 'demo', user: { id: 'anna', role: 'technician' } });
    const user = await server.context.verifier(body['token'] as string);
    expect(user).toMatchObject({ id: 'anna', tenant: 'demo' });
    expect(user.claims).toMatchObject({ role: 'technician', name: 'Anna Berg' });
    expect(typeof user.claims['exp']).toBe('number');
  });

  it('seeds the demo tenant: types, 6 sites, 5 people, 50 work orders with #42 as agreed', async () => {
    const token = (await signIn(server.url, 'ben')).body['token'] as string;
    const { docs, types } = await pullAll(server.url, token);
    expect(types.map((t) => t['name']).sort()).toEqual(['person', 'site', 'workOrder']);
    const byType = (t: string): Json[] => docs.filter((d) => d['type'] === t);
    expect(byType('site')).toHaveLength(6);
    expect(byType('person')).toHaveLength(5);
    expect(byType('workOrder')).toHaveLength(50);
    const woType = DEMO_TYPES.find((t) => t.name === 'workOrder')!;
    const w42 = byType('workOrder')
      .map((d) => materialize(docFromJSON(d), woType))
      .find((d) => d['number'] === 42);
    expect(w42).toMatchObject({
      id: 'wo-042',
      title: 'Replace pump seal',
      site: 'site-1',
      assignee: 'person-anna',
      status: 'open',
      address: { city: 'Malmö' },
    });
    expect(w42!['history']).toHaveLength(1);
    expect(w42!['checklist']).toHaveLength(3);
  });

  it('bad sign-in requests are 4xx with a JSON error naming the field', async () => {
    const unknown = await signIn(server.url, 'mallory');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'unknown_user', path: 'user' } });
    const res = await fetch(`${server.url}/v1/demo/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 7 }),
    });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: { code: 'bad_request', path: 'user' } });
    const bad = await fetch(`${server.url}/v1/demo/sign-in`, { method: 'POST', body: '{' });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: { code: 'bad_json' } });
  });

  it('only the admin may define types', async () => {
    const def = { name: 'inspection', version: 1, fields: { title: { type: 'string' } } };
    const put = async (user: string): Promise<number> => {
      const token = (await signIn(server.url, user)).body['token'] as string;
      const res = await fetch(`${server.url}/v1/types/inspection`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(def),
      });
      return res.status;
    };
    expect(await put('ben')).toBe(403);
    expect(await put('adam')).toBe(200);
  });

  it('seeding again on restart stores nothing (same changes, same cursor)', async () => {
    const token = (await signIn(server.url, 'ben')).body['token'] as string;
    const before = await pullAll(server.url, token);
    await server.close();
    server = await startServer({ storage: storageIn(dataDir), secret: DEV_SECRET, port: 0, demo: true });
    const after = await pullAll(server.url, token);
    expect(after.cursor).toBe(before.cursor);
    expect(after.docs).toEqual(before.docs);
  });
});

describe('demo mode is refused outside development', () => {
  it('with a real secret, on a non-loopback host, or with a custom verifier', async () => {
    const attempts: Array<[Parameters<typeof startServer>[0] extends infer O ? Partial<O> : never, RegExp]> =
      [
        [{ secret: SECRET }, /development secret/],
        [{ secret: DEV_SECRET, host: '0.0.0.0' }, /loopback/],
        [{ secret: DEV_SECRET, host: '192.168.1.20' }, /loopback/],
        [{ verifier: () => Promise.reject(new Error('no')) }, /custom token verifier/],
      ];
    for (const [options, message] of attempts) {
      const storage = storageIn(tempDir('fieldsync-refused-'));
      await expect(startServer({ storage, port: 0, demo: true, ...options })).rejects.toThrow(message);
      await storage.close();
    }
  });

  it('fieldsync serve --demo with FIELDSYNC_JWT_SECRET set exits 1 before creating the data directory', () => {
    const data = join(tempDir('fieldsync-cli-'), 'data');
    const run = spawnSync(process.execPath, [CLI, 'serve', '--port', '0', '--demo', '--data', data], {
      env: { ...process.env, FIELDSYNC_JWT_SECRET: 'a-real-deployment-secret-of-32-bytes-or-more' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/--demo refused: .*development secret/);
    expect(existsSync(data)).toBe(false);
  });

  it('without --demo the demo paths are 404, even with the development secret', async () => {
    const server = await startServer({
      storage: storageIn(tempDir('fieldsync-nodemo-')),
      secret: DEV_SECRET,
      port: 0,
    });
    try {
      const users = await fetch(`${server.url}/v1/demo/users`);
      expect(users.status).toBe(404);
      expect(await json(users)).toMatchObject({ error: { code: 'not_found' } });
      expect((await signIn(server.url, 'anna')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('--app: the built app on the same port as /v1', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      storage: storageIn(tempDir('fieldsync-static-')),
      secret: SECRET,
      port: 0,
      app: fakeBuild(),
    });
  });
  afterAll(() => server?.close());

  it('serves files with their content types and cache rules', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('work orders');
    const js = await fetch(`${server.url}/_app/immutable/entry/start.abc123.js`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(await js.text()).toContain('export const x = 1;'); // fetch decompresses
    const sw = await fetch(`${server.url}/service-worker.js`);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    expect(sw.headers.get('content-type')).toMatch(/javascript/);
  });

  it('falls back to index.html for app routes, but not for missing files or the API', async () => {
    for (const path of ['/orders/42', '/types/inspection/new', '/signin']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('work orders');
    }
    const missing = await fetch(`${server.url}/_app/immutable/nope.js`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ error: { code: 'not_found' } });
    const api = await fetch(`${server.url}/v1/pull`);
    expect(api.status).toBe(401); // the sync API, not the app
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
    const traversal = await fetch(`${server.url}/..%2f..%2fetc%2fpasswd.txt`);
    expect(traversal.status).toBe(404);
  });

  it('refuses a directory without index.html', async () => {
    await expect(
      startServer({
        storage: storageIn(tempDir('fieldsync-noapp-')),
        secret: SECRET,
        port: 0,
        app: tempDir('empty-'),
      }),
    ).rejects.toThrow(/no index.html/);
  });
});
