#!/usr/bin/env node
// `npm start`: build what is stale, then serve the work-orders app and the sync server on one port.
//   1. the packages (`npm run build`, incremental);
//   2. the app (apps/workorders/build) only when a source it bundles is newer than its build;
//   3. `fieldsync serve --app apps/workorders/build --demo` on http://localhost:8787, SQLite in ./data.
// Extra arguments are passed to `fieldsync serve` (e.g. `npm start -- --port 9000`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import console from 'node:console';
import process from 'node:process';

const root = resolve(import.meta.dirname, '..');
const appDir = join(root, 'apps/workorders');
const built = join(appDir, 'build/index.html');

function run(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Newest modification time under `path` (files only; node_modules, build output skipped). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.')) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

// Packages: incremental TypeScript project build (a no-op when nothing changed).
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b']);

// The app bundles the packages from their sources (the `source` export condition), so their
// src/ directories count as its inputs too.
const inputs = [
  join(appDir, 'src'),
  join(appDir, 'static'),
  join(appDir, 'package.json'),
  join(appDir, 'svelte.config.js'),
  join(appDir, 'vite.config.ts'),
  ...['core', 'client', 'svelte'].map((p) => join(root, 'packages', p, 'src')),
];
const stale = !existsSync(built) || Math.max(...inputs.map(newest)) > statSync(built).mtimeMs;
if (stale) {
  console.log('building apps/workorders (sources changed since the last build)…');
  run('npm', ['run', '--silent', 'build'], appDir);
} else console.log('apps/workorders/build is up to date');

const bin = join(root, 'packages/server/bin/fieldsync.js');
const server = spawn(
  process.execPath,
  [
    bin,
    'serve',
    '--port',
    '8787',
    '--data',
    './data',
    '--app',
    join(appDir, 'build'),
    '--demo',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
