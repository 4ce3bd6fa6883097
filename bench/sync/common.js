// Shared helpers for the sync benchmark: spawning the real CLI server, percentiles, tokens.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
// FIELDSYNC_BENCH_CLI: another server build to compare against (e.g. an older commit's dist/cli.js).
export const CLI = process.env.FIELDSYNC_BENCH_CLI ?? join(ROOT, 'packages/server/dist/cli.js');
export const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
export const PG_URL = process.env.FIELDSYNC_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export const WORK_ORDER = {
  name: 'workOrder',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'in_progress', 'done', 'cancelled'] },
    priority: { type: 'number' },
    site: { type: 'string' },
  },
};

/** Starts `fieldsync serve` as a child process on a random port of 127.0.0.1. */
export async function serve(args) {
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ') ?? []), CLI, 'serve', '--port', '0', '--rate-per-second', '1000000', ...args], {
    env: { ...process.env, FIELDSYNC_JWT_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    const on = (b) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      }),
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
