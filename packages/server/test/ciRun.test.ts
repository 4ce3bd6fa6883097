import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The CI entry point (.ci/run) and its helpers, run for real where they can run here. */
const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fieldsync-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(cmd, args, { timeout: 60_000, ...opts }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });

describe('.ci/run', () => {
  const script = readFileSync(join(root, '.ci/run'), 'utf8');
  const lineOf = (s: string): number => script.split('\n').findIndex((l) => l.includes(s));

  it('runs format:check and lint before installing Chromium, starting PostgreSQL, building or testing', () => {
    const formatCheck = lineOf('npm run format:check');
    const lint = lineOf('npm run lint');
    expect(formatCheck).toBeGreaterThan(0);
    expect(lint).toBeGreaterThan(formatCheck);
    for (const later of ['apt-get', 'pg_ctlcluster', 'npm run build', 'npm run typecheck', 'npm test'])
      expect(lineOf(later), later).toBeGreaterThan(lint);
  });

  it('ends with the plain "tests: N passed, N failed" line: the summary is the last command before exit', () => {
    const commands = script.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    expect(commands.at(-1)).toBe('exit "$status"');
    expect(commands.at(-2)).toContain('node .ci/vitest-summary.mjs "$report"');
  });

  it('starts PostgreSQL without "|| true" and waits for it with a timeout', () => {
    expect(script).not.toMatch(/\|\|\s*true/);
    expect(lineOf('.ci/wait-for-postgres')).toBeGreaterThan(lineOf('pg_ctlcluster'));
    expect(lineOf('.ci/wait-for-postgres')).toBeLessThan(lineOf('npm test'));
  });

  it('wait-for-postgres fails clearly when nothing answers in time', async () => {
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => r(port));
      });
    });
    const t0 = Date.now();
    const res = await run(join(root, '.ci/wait-for-postgres'), ['1'], {
      env: { ...process.env, PGPORT: String(closed) },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`PostgreSQL on 127.0.0.1:${closed} is not ready after 1 s`);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('with CI=true a skipped or todo test fails the run and is named; the plain closing line stays', async () => {
    // A real vitest JSON report from a run with one passing, one skipped and one todo test.
    const project = join(dir, 'project');
    mkdirSync(project);
    symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'));
    writeFileSync(join(project, 'vitest.config.mjs'), 'export default {};\n');
    writeFileSync(
      join(project, 'a.test.mjs'),
      "import { it } from 'vitest';\nit('runs', () => {});\nit.skip('needs a browser', () => {});\nit.todo('later');\n",
    );
    const report = join(dir, 'report.json');
    const vitest = await run(
      process.execPath,
      [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', `--outputFile=${report}`],
      { cwd: project, env: { ...process.env, CI: '' } },
    );
    expect(vitest.code, vitest.stderr).toBe(0);

    const summary = join(root, '.ci/vitest-summary.mjs');
    const inCi = await run(process.execPath, [summary, report], {
      cwd: project,
      env: { ...process.env, CI: 'true' },
    });
    expect(inCi.code).toBe(1);
    expect(inCi.stdout.trim().split('\n').at(-1)).toBe('tests: 1 passed, 0 failed, 2 skipped');
    expect(inCi.stderr).toContain('skipped: a.test.mjs > needs a browser');
    expect(inCi.stderr).toContain('skipped: a.test.mjs > later');

    const local = await run(process.execPath, [summary, report], {
      cwd: project,
      env: { ...process.env, CI: '' },
    });
    expect(local.code).toBe(0);
    expect(local.stdout.trim()).toBe('tests: 1 passed, 0 failed, 2 skipped');
  });
});
