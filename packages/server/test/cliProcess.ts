import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SECRET } from '../../../testing/server/harness.js';

/** The built CLI (`npm test` builds first); tests run it in real child processes. */
export const CLI = resolve(import.meta.dirname, '../dist/cli.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child: FIELDSYNC_JWT_SECRET = the tests' secret unless overridden (undefined = unset). */
export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, FIELDSYNC_JWT_SECRET: SECRET };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Runs `fieldsync ARGS` to completion (10 s at most). */
export function runCli(args: string[], env?: Record<string, string | undefined>): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: cliEnv(env), timeout: 10_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export interface ServedCli {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `fieldsync serve ARGS` (port 0 unless given) and resolves once it prints its URL. */
export async function serveCli(args: string[], env?: Record<string, string | undefined>): Promise<ServedCli> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', ...(args.includes('--port') ? [] : ['--port', '0']), ...args],
    {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
