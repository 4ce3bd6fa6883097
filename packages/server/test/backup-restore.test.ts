import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.js';
import { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';
import { CorePeer, SECRET, WORK_ORDER } from '../../../testing/server/harness.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../../testing/pgTest.js';
import { signToken } from '../src/auth/jwt.js';

/** The built CLI in a child process, as an operator runs it (`npm run build` first). */
const CLI = resolve(import.meta.dirname, '../dist/cli.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { timeout: 30_000 });

const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fieldsync-backup-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const serve = (dataDir: string): Promise<RunningServer> =>
  startServer({
    storage: new SqliteEngine({ file: join(dataDir, 'fieldsync.sqlite'), synchronous: 'NORMAL' }),
    secret: SECRET,
    port: 0,
    // The writer below pushes for as long as the backup process runs (seconds on a busy
    // machine): past the default 50/s it would be answered 429, which is not what this tests.
    limits: { rate: { perSecond: 100_000, burst: 100_000 } },
    types: [WORK_ORDER],
  });

const epochOf = async (url: string): Promise<string> =>
  (await fetch(`${url}/v1/health`)).headers.get('fieldsync-epoch') ?? '';

describe('fieldsync backup / restore (SQLite)', () => {
  it('copies a consistent store while pushes keep coming; the copy and every restore get a new epoch', async () => {
    const data = newDir();
    const backupDir = join(newDir(), 'b1');
    let srv = await serve(data);
    const token = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
    const anna = new CorePeer(srv.url, token, 'anna-b');
    const live = await epochOf(srv.url);
    const acked: string[] = [];
    const push = async () => {
      const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: `wo ${acked.length}` }]);
      const r = await anna.push([c]);
      if (r.status !== 200) throw new Error(`push answered ${r.status}: ${JSON.stringify(r.body)}`);
      if (r.body.results[0]?.status === 'ok') acked.push(c.doc);
    };
    for (let i = 0; i < 20; i++) await push();
    const before = [...acked];
    // Pushes go on during the backup (it runs in another process, like an operator's shell).
    let pushing = true;
    const writer = (async () => {
      while (pushing) await push();
    })();
    const out = await cli('backup', backupDir, '--data', data);
    pushing = false;
    await writer;
    const copyEpoch = /epoch (\S+)\)/.exec(out.stdout)?.[1];
    expect(copyEpoch).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(copyEpoch).not.toBe(live);
    expect(await epochOf(srv.url)).toBe(live); // the live store keeps its own
    expect(acked.length).toBeGreaterThan(before.length);

    // The copy is a valid store holding at least everything acknowledged before it started.
    const copy = new SqliteEngine({ file: join(backupDir, 'fieldsync.sqlite') });
    expect(copy.epoch()).toBe(copyEpoch);
    const inCopy = new Set((await copy.pull('acme', { since: 0, limit: 5000 })).docs.map((d) => d.id));
    await copy.close();
    for (const id of before) expect(inCopy.has(id)).toBe(true);
    // Consistent: a prefix of the acknowledged writes (sequence order = acknowledgement order here).
    expect(acked.slice(0, inCopy.size).every((id) => inCopy.has(id))).toBe(true);

    // Restoring while the server runs is refused; after it stopped, the store is replaced.
    await expect(cli('restore', backupDir, '--data', data)).rejects.toThrow(/server may be running/);
    await srv.close();
    const r1 = await cli('restore', backupDir, '--data', data);
    const restored = /new epoch (\S+)\)/.exec(r1.stdout)?.[1];
    expect(restored).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set([live, copyEpoch, restored]).size).toBe(3);
    expect(existsSync(join(data, 'fieldsync.sqlite.before-restore'))).toBe(true);
    srv = await serve(data);
    try {
      expect(await epochOf(srv.url)).toBe(restored);
      // A device that pushed after the backup now sees another epoch and a head below its cursor.
      const res = await fetch(`${srv.url}/v1/pull?since=0`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(Number(res.headers.get('fieldsync-head'))).toBeLessThan(acked.length);
      const page = (await res.json()) as { docs: Array<{ id: string }> };
      expect(page.docs).toHaveLength(inCopy.size);
    } finally {
      await srv.close();
    }
    // A second restore of the same backup is another history again.
    const r2 = await cli('restore', backupDir, '--data', data);
    expect(/new epoch (\S+)\)/.exec(r2.stdout)?.[1]).not.toBe(restored);
  });

  it('fieldsync compact runs one pass on a stopped store; a bad horizon is a usage error', async () => {
    const data = newDir();
    const srv = await serve(data);
    const token = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
    const anna = new CorePeer(srv.url, token, 'anna-c');
    for (let i = 0; i < 3; i++)
      await anna.push([anna.change(undefined, [{ op: 'set', path: ['title'], value: `t${i}` }])]);
    await srv.close();
    await new Promise((r) => setTimeout(r, 1200));
    const out = await cli('compact', '--data', data, '--history-horizon', '1s');
    expect(out.stdout).toMatch(/: 3 change ids, 0 deleted documents/);
    const again = await cli('compact', '--data', data, '--history-horizon', '1s');
    expect(again.stdout).toMatch(/: 0 change ids/);
    await expect(cli('compact', '--data', data, '--history-horizon', 'soon')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--history-horizon must be a duration'),
    });
  });

  it('refuses a backup into a directory that already holds one, and a restore from nothing', async () => {
    const data = newDir();
    const srv = await serve(data);
    await srv.close();
    const dest = newDir();
    await cli('backup', dest, '--data', data);
    await expect(cli('backup', dest, '--data', data)).rejects.toThrow(/already exists/);
    await expect(cli('restore', newDir(), '--data', data)).rejects.toThrow(/no fieldsync backup/);
  });
});

if (await pgReachable()) {
  describe('PostgreSQL: pg_dump / pg_restore, then fieldsync reset-epoch', () => {
    const schema = uniqueSchema();
    afterAll(() => dropSchema(schema));

    it('the documented procedure restores the data under a new epoch', async () => {
      const start = () =>
        startServer({
          storage: new PostgresEngine({ url: PG_URL, schema }),
          secret: SECRET,
          port: 0,
          types: [WORK_ORDER],
        });
      let srv = await start();
      const token = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
      const anna = new CorePeer(srv.url, token, 'anna-pg');
      const c = anna.change(undefined, [{ op: 'set', path: ['title'], value: 'kept' }]);
      await anna.push([c]);
      const live = await epochOf(srv.url);
      const dump = join(newDir(), 'fieldsync.dump');
      await run('pg_dump', ['--format=custom', `--schema=${schema}`, `--file=${dump}`, PG_URL]);
      await srv.close();
      await dropSchema(schema); // the disaster
      await run('pg_restore', ['--dbname', PG_URL, dump]);
      const out = await cli('reset-epoch', '--postgres', PG_URL, '--schema', schema);
      const next = /new epoch (\S+);/.exec(out.stdout)?.[1];
      expect(next).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(next).not.toBe(live);
      srv = await start();
      try {
        expect(await epochOf(srv.url)).toBe(next);
        const reader = new CorePeer(srv.url, token, 'reader');
        await reader.pull();
        expect(reader.docs.has(c.doc)).toBe(true);
      } finally {
        await srv.close();
      }
    });
  });
}
