import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYNCED, createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';

/** The device runs built (`npm test` builds first) in a child process that is killed for real. */
const CHILD = resolve(import.meta.dirname, 'fixtures/syncUntilKilled.mjs');
const CLIENT_DIST = resolve(import.meta.dirname, '../../packages/client/dist/index.js');

let srv: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'fieldsync-synckill-'));
beforeAll(async () => {
  srv = await testServer();
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a device killed mid-sync (SIGKILL, SQLite client storage) reopens with the right sync state for every document', async () => {
  expect(existsSync(CLIENT_DIST), 'packages/client/dist missing: build first (npm test does)').toBe(true);
  const file = join(dir, 'device.sqlite');
  const token = await srv.token('dev', 'kill');
  const child = spawn(process.execPath, [CHILD, file, srv.url, token, JSON.stringify(WORK_ORDER)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let total = 0;
  let ackedTo = -1;
  await new Promise<void>((done, fail) => {
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? done() : fail(new Error(`child exited ${code}: ${stderr}`)),
    );
    let buffer = '';
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, n] = line.split(' ');
        if (kind === 'ready') total = Number(n);
        if (kind === 'acked') ackedTo = Number(n);
      }
      // Some documents are on the server, many are not: kill now, with pushes and writes in flight.
      if (ackedTo >= 0 && ackedTo < total - 10 && !child.killed) child.kill('SIGKILL');
    });
  });
  expect(total).toBe(120);

  const open = async (name: string, storage?: SqliteStorage): Promise<Database> => {
    const db = await createDatabase({
      name,
      replicaId: name,
      ...(storage ? { storage } : {}),
      sync: {
        url: srv.url,
        token: await srv.token(name === 'device' ? 'dev' : name, 'kill'),
        autoStart: false,
      },
    });
    if (!db.typeFor('workOrder')) await db.defineType(WORK_ORDER);
    return db;
  };
  const device = await open('device', new SqliteStorage(file));
  const reader = await open('reader');
  await reader.sync!.flush();
  const local = device.collection('workOrder').find().fetch();
  const outbox = (await device.outbox.peek(1_000_000)) as Array<{ doc: string }>;
  const queued = new Map<string, number>();
  for (const c of outbox) queued.set(c.doc, (queued.get(c.doc) ?? 0) + 1);
  const counts = { synced: 0, pending: 0 };
  for (const doc of local) {
    const id = doc.id as string;
    const state = device.syncState.of(id);
    const onServer = reader.collection('workOrder').findOne(id);
    if (state.status === 'synced') {
      counts.synced++;
      // Synced means the server has exactly what this device has.
      expect(onServer, `${id} shows synced but the server lacks it`).toEqual(doc);
      expect(queued.has(id)).toBe(false);
    } else {
      counts.pending++;
      // Pending means changes of it are still queued, as many as the state says.
      expect(state).toMatchObject({ status: 'pending', pending: queued.get(id) });
    }
  }
  // Killed mid-sync: both kinds exist.
  expect(counts.synced).toBeGreaterThan(0);
  expect(counts.pending).toBeGreaterThan(0);
  expect(device.syncState.count).toBe(queued.size);

  // Back online: everything goes out, and every document shows synced with the server's copy.
  const all = device.syncState.whenSynced(local.map((d) => d.id as string));
  await device.sync!.flush();
  await all;
  await reader.sync!.flush();
  for (const doc of device.collection('workOrder').find().fetch()) {
    expect(device.syncState.of(doc.id as string)).toBe(SYNCED);
    expect(reader.collection('workOrder').findOne(doc.id as string)).toEqual(doc);
  }
  await device.close();
  await reader.close();
});
