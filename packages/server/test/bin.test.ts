import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hmacVerifier } from '../src/auth/jwt.js';
import { SECRET } from '../../../testing/server/harness.js';

const root = resolve(import.meta.dirname, '../../..');
const serverPkg = JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8')) as {
  bin: Record<string, string>;
  files: string[];
};

/**
 * A fresh clone after `npm install`: sources and dependencies, no dist/ anywhere. Dependencies are
 * links to this checkout's node_modules; the workspace packages are the copies.
 */
function freshCheckout(): string {
  const t = mkdtempSync(join(tmpdir(), 'fieldsync-bin-'));
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.base.json']) cpSync(join(root, f), join(t, f));
  for (const [pkg, entries] of [
    ['core', ['package.json', 'tsconfig.build.json', 'src']],
    ['server', ['package.json', 'tsconfig.json', 'src', 'bin']],
  ] as const)
    for (const e of entries)
      cpSync(join(root, 'packages', pkg, e), join(t, 'packages', pkg, e), {
        recursive: true,
        filter: (src) => !src.includes(`${pkg}/dist`),
      });
  mkdirSync(join(t, 'node_modules/@fieldsync'), { recursive: true });
  for (const name of readdirSync(join(root, 'node_modules')))
    if (name !== '@fieldsync' && name !== '.bin' && name !== '.cache')
      symlinkSync(join(root, 'node_modules', name), join(t, 'node_modules', name));
  for (const pkg of ['core', 'server'])
    symlinkSync(join(t, 'packages', pkg), join(t, 'node_modules/@fieldsync', pkg));
  return t;
}

const run = (bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) =>
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, FIELDSYNC_JWT_SECRET: SECRET }, timeout: 120_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );

describe('the fieldsync bin works right after npm install, before any build', () => {
  const checkout = freshCheckout();
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  it('package.json names a committed, executable bin outside dist/, and publishes it', () => {
    expect(serverPkg.bin['fieldsync']).toBe('./bin/fieldsync.js');
    expect(serverPkg.files).toContain('bin');
    const bin = join(root, 'packages/server', serverPkg.bin['fieldsync'] ?? '');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it("package-lock.json records the same bin (npm links bins from the lockfile's copy of package.json)", () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { bin?: Record<string, string> }>;
    };
    expect(lock.packages['packages/server']?.bin).toEqual({ fieldsync: 'bin/fieldsync.js' });
  });

  it('without dist/, the bin builds once (output on stderr) and runs the command', async () => {
    const bin = join(checkout, 'packages/server/bin/fieldsync.js');
    expect(existsSync(join(checkout, 'packages/server/dist'))).toBe(false);
    const first = await run(bin, ['token', '--user', 'anna', '--tenant', 'acme']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('building');
    // stdout holds the token alone, so TOKEN=$(npx fieldsync token …) works on the first run too.
    const token = first.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    expect(await hmacVerifier(SECRET)(token)).toMatchObject({ id: 'anna', tenant: 'acme' });
    expect(existsSync(join(checkout, 'packages/server/dist/cli.js'))).toBe(true);

    const second = await run(bin, ['serve', '--help']);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('building');
    expect(second.stdout).toContain('usage: fieldsync serve');
  });
});
