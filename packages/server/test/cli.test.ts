import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, serveCli, type CliRun } from './cliProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldsync-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A failure the user can read: exactly one line on stderr, no stack trace. */
function expectOneLine(run: CliRun, code: number, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

const listening = (): Promise<Server> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });

describe('fieldsync CLI: usage', () => {
  it('--help prints the usage of fieldsync, serve and token (exit 0)', async () => {
    for (const [args, words] of [
      [['--help'], 'usage: fieldsync serve'],
      [[], 'usage: fieldsync serve'],
      [['serve', '--help'], '--sqlite-sync'],
      [['serve', '-h'], '--data DIR'],
      [['token', '--help'], '--claim KEY[]=A,B'],
      [['backup', '--help'], 'fieldsync backup DIR'],
    ] as const) {
      const run = await runCli([...args]);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain(words);
    }
  });

  it('an unknown option or command: one line naming it, then the usage, exit 2', async () => {
    for (const [args, first, usage] of [
      [['serve', '--nope'], 'fieldsync serve: unknown option --nope', 'usage: fieldsync serve'],
      [
        ['token', '--user', 'a', '--tenant', 't', '--bogus'],
        'fieldsync token: unknown option --bogus',
        '--claim',
      ],
      [['serve', '--port'], 'fieldsync serve: ', 'usage: fieldsync serve'],
      [['serve', '--port', 'eighty'], 'fieldsync serve: --port must be an integer', 'usage: fieldsync serve'],
      [['frobnicate'], 'fieldsync: unknown command "frobnicate"', 'usage: fieldsync serve'],
      [['backup', 'dir', '--nope'], 'fieldsync: unknown option --nope', 'fieldsync backup DIR'],
      [['restore'], 'fieldsync: restore needs one directory', 'fieldsync restore DIR'],
      [['compact', '--history-horizon'], 'fieldsync: ', 'fieldsync compact'],
      [['reset-epoch', '--bogus', '1'], 'fieldsync: unknown option --bogus', 'fieldsync reset-epoch'],
    ] as const) {
      const run = await runCli([...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0]).toContain(first);
      expect(run.stderr).toContain(usage);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

describe('fieldsync serve: refuses clearly, and before creating anything', () => {
  it('a busy port: one line "port N is in use", exit 1, no data directory created', async () => {
    const blocker = await listening();
    const port = (blocker.address() as { port: number }).port;
    const data = join(dir, 'busy-data');
    try {
      const run = await runCli(['serve', '--port', String(port), '--data', data]);
      expectOneLine(run, 1, new RegExp(`^fieldsync: port ${port} is in use`));
      expect(existsSync(data)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('a file in the way of the data directory: one line naming the path', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    expectOneLine(await runCli(['serve', '--data', file]), 1, new RegExp(`data directory ${file} is a file`));
    expectOneLine(
      await runCli(['serve', '--data', join(file, 'sub')]),
      1,
      new RegExp(`data directory ${join(file, 'sub')}: ${file} is a file`),
    );
  });

  it('a data directory that cannot be written: one line naming the path, nothing created', async () => {
    // root ignores permission bits: then use sysfs, which refuses new directories to everyone.
    let data: string;
    if (process.getuid?.() === 0) data = `/sys/fieldsync-test-${process.pid}`;
    else {
      const ro = join(dir, 'read-only');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      data = join(ro, 'data');
    }
    const run = await runCli(['serve', '--port', '0', '--data', data]);
    expectOneLine(run, 1, /data directory/);
    expect(run.stderr).toContain(data);
    expect(existsSync(data)).toBe(false);
  });

  it('FIELDSYNC_JWT_SECRET shorter than 32 bytes is refused (serve and token)', async () => {
    const data = join(dir, 'weak-secret');
    for (const secret of ['a', '', 'x'.repeat(31)]) {
      const serve = await runCli(['serve', '--port', '0', '--data', data], { FIELDSYNC_JWT_SECRET: secret });
      expectOneLine(serve, 1, /FIELDSYNC_JWT_SECRET is \d+ bytes; it must be at least 32 bytes/);
      const token = await runCli(['token', '--user', 'a', '--tenant', 't'], { FIELDSYNC_JWT_SECRET: secret });
      expectOneLine(token, 1, /FIELDSYNC_JWT_SECRET is \d+ bytes/);
    }
    expect(existsSync(data)).toBe(false);
  });

  it('the public development secret is refused on a non-loopback host', async () => {
    const data = join(dir, 'dev-secret');
    for (const host of ['0.0.0.0', '::']) {
      const run = await runCli(['serve', '--port', '0', '--host', host, '--data', data], {
        FIELDSYNC_JWT_SECRET: undefined,
      });
      expectOneLine(run, 1, new RegExp(`refusing to listen on ${host} with the public development secret`));
    }
    expect(existsSync(data)).toBe(false);
    // On loopback it serves (with its warning).
    const dev = await serveCli(['--host', '127.0.0.1', '--data', data], { FIELDSYNC_JWT_SECRET: undefined });
    try {
      expect(dev.output()).toContain('PUBLIC development secret');
      expect((await fetch(`${dev.url}/v1/health`)).status).toBe(200);
    } finally {
      await dev.stop();
    }
  });
});

describe('fieldsync token', () => {
  it('KEY[]=… is always an array, KEY=… always one string; the token expires', async () => {
    const run = await runCli([
      'token',
      '--user',
      'tech',
      '--tenant',
      'acme',
      '--claim',
      'teams[]=blue',
      '--claim',
      'regions[]=north,south',
      '--claim',
      'regions[]=east',
      '--claim',
      'none[]=',
      '--claim',
      'role=admin',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const claims = decodeJwt(run.stdout.trim());
    expect(claims).toMatchObject({
      sub: 'tech',
      tenant: 'acme',
      teams: ['blue'],
      regions: ['north', 'south', 'east'],
      none: [],
      role: 'admin',
    });
    expect(typeof claims.exp).toBe('number');
    expect(claims.exp! - claims.iat!).toBe(30 * 24 * 3600);
  });

  it('ambiguous or reserved claims are refused with the way to write them', async () => {
    const base = ['token', '--user', 'a', '--tenant', 't'];
    const list = await runCli([...base, '--claim', 'teams=blue,red']);
    expect(list.code).toBe(2);
    expect(list.stderr.split('\n')[0]).toContain('write a list as teams[]=blue,red');
    expect((await runCli([...base, '--claim', 'tenant=other'])).code).toBe(2);
    expect((await runCli([...base, '--claim', 'exp=0'])).code).toBe(2);
    expect((await runCli([...base, '--claim', 'role=a', '--claim', 'role[]=b'])).code).toBe(2);
    expect((await runCli([...base, '--claim', 'novalue'])).code).toBe(2);
    const expires = await runCli([...base, '--expires', 'forever']);
    expect(expires.code).toBe(2);
    expect(expires.stderr.split('\n')[0]).toContain('--expires must be a duration');
  });
});
