#!/usr/bin/env node
// The `fieldsync` command. This file is committed, plain JavaScript, and is what package.json's
// "bin" names, because npm links a bin at install time only if its file exists: a bin pointing
// into dist/ made `npx fieldsync` fail on a fresh clone, where nothing is built yet. A published
// package always ships dist/; in a source checkout a missing build is made here, once, with the
// same incremental `tsc -b` as `npm run build` (this package and the packages it references).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);

if (!existsSync(cli)) {
  const pkg = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(new URL('../src/cli.ts', import.meta.url))) {
    console.error(
      `fieldsync: ${fileURLToPath(cli)} is missing and there is no source to build it from; reinstall @fieldsync/server`,
    );
    process.exit(1);
  }
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    console.error(
      'fieldsync: not built yet, and TypeScript is not installed: run npm install, then npm run build',
    );
    process.exit(1);
  }
  console.error('fieldsync: first run in a source checkout, building the server (tsc -b) …');
  // The compiler's output goes to stderr: stdout is the command's own (`TOKEN=$(npx fieldsync token …)`).
  const built = spawnSync(process.execPath, [tsc, '-b', pkg], { stdio: ['ignore', 2, 2] });
  if (built.status !== 0) {
    console.error('fieldsync: the build failed (see above); fix it, or run npm run build');
    process.exit(1);
  }
}

await import(cli.href);
