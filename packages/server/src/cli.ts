#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { TypeDef } from '@fieldsync/core';
import { DEV_SECRET, signToken } from './auth/jwt.js';
import type { Permissions } from './auth/rules.js';
import { demoRefusal } from './demo/demoMode.js';
import { startServer } from './server.js';
import { openStorage } from './storage/openStorage.js';
import { parseDuration, STORE_USAGE, storeCommand } from './storeCommands.js';

const USAGE = `fieldsync — local-first sync server

  fieldsync serve [--port 8787] [--host 127.0.0.1] [--data ./data | --postgres URL [--schema fieldsync]]
                  [--types types.json] [--config rules.mjs] [--sqlite-sync full|normal]
                  [--app DIR] [--demo] [--history-horizon 30d]
  fieldsync token --user anna --tenant acme [--claim teams=blue,red] [--expires 30d]
${STORE_USAGE}

Environment: FIELDSYNC_JWT_SECRET (HS256 secret for tokens; dev default when unset).
--types: a JSON array of type definitions known to every tenant.
--config: an ES module whose default export is { permissions?, types? }.
--sqlite-sync: full (default) fsyncs every commit (acknowledged = survives power loss);
  normal survives process crashes only, and is faster.
--app: serve a built single-page app (e.g. apps/workorders/build) at / on the same port.
--demo: seed tenant "demo" and open the demo sign-in (/v1/demo/*). Refused unless the server
  uses the public development secret (FIELDSYNC_JWT_SECRET unset) on a loopback --host.
--history-horizon: compact change ids and tombstones older than this (default 30d; "forever"
  keeps them); a device away longer must resync in full (410 history_gone).`;

function secret(command: string): string {
  const s = process.env['FIELDSYNC_JWT_SECRET'];
  if (s) return s;
  console.warn(
    `\n  !!! WARNING: FIELDSYNC_JWT_SECRET is not set; ${command} uses the PUBLIC development secret.\n` +
      `  !!! Anyone can mint tokens for this server. Set FIELDSYNC_JWT_SECRET before exposing it.\n`,
  );
  return DEV_SECRET;
}

async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string', default: './data' },
      postgres: { type: 'string' },
      schema: { type: 'string' },
      types: { type: 'string' },
      config: { type: 'string' },
      heartbeat: { type: 'string' },
      'rate-per-second': { type: 'string' },
      'sqlite-sync': { type: 'string', default: 'full' },
      app: { type: 'string' },
      demo: { type: 'boolean', default: false },
      'history-horizon': { type: 'string' },
    },
  });
  const horizon = values['history-horizon']
    ? parseDuration(values['history-horizon'], '--history-horizon')
    : undefined;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got "${values.port}"`);
  let types: TypeDef[] = [];
  let permissions: Permissions | undefined;
  if (values.types) types = JSON.parse(readFileSync(values.types, 'utf8')) as TypeDef[];
  if (values.config) {
    const mod = (await import(pathToFileURL(resolve(values.config)).href)) as {
      default?: { permissions?: Permissions; types?: TypeDef[] };
    };
    permissions = mod.default?.permissions;
    types = [...types, ...(mod.default?.types ?? [])];
  }
  const jwtSecret = secret('serve');
  // Checked before storage is opened, so a refused demo leaves nothing on disk.
  const refused = values.demo ? demoRefusal({ secret: jwtSecret, host: values.host }) : undefined;
  if (refused) throw new Error(`--demo refused: ${refused}`);
  const sync = values['sqlite-sync'].toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL')
    throw new Error(`--sqlite-sync must be full or normal, got "${values['sqlite-sync']}"`);
  const storage = openStorage({
    synchronous: sync,
    ...(values.postgres ? { postgres: values.postgres } : { data: values.data }),
    ...(values.schema ? { schema: values.schema } : {}),
  });
  const rps = values['rate-per-second'] ? Number(values['rate-per-second']) : undefined;
  const server = await startServer({
    storage,
    secret: jwtSecret,
    types,
    ...(permissions ? { permissions } : {}),
    port,
    host: values.host,
    ...(values.heartbeat ? { heartbeatMs: Number(values.heartbeat) } : {}),
    ...(rps ? { limits: { rate: { perSecond: rps, burst: rps * 4 } } } : {}),
    ...(values.app ? { app: values.app } : {}),
    demo: values.demo,
    ...(horizon !== undefined ? { historyHorizonMs: horizon } : {}),
  });
  console.log(
    `fieldsync listening on ${server.url} (storage: ${storage.kind}${values.postgres ? '' : `, ${resolve(values.data)}`})`,
  );
  if (values.app) console.log(`  app: ${server.url}/ (from ${resolve(values.app)})`);
  if (values.demo) console.log(`  demo mode: tenant "demo", sign in as anna, ben, carla, dora or adam`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function tokenCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      user: { type: 'string' },
      tenant: { type: 'string' },
      claim: { type: 'string', multiple: true },
      expires: { type: 'string', default: '30d' },
    },
  });
  if (!values.user || !values.tenant) throw new Error('token needs --user and --tenant');
  const claims: Record<string, unknown> = {};
  for (const kv of values.claim ?? []) {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`--claim must be key=value, got "${kv}"`);
    const v = kv.slice(i + 1);
    claims[kv.slice(0, i)] = v.includes(',') ? v.split(',') : v;
  }
  console.log(
    await signToken(secret('token'), {
      user: values.user,
      tenant: values.tenant,
      claims,
      expiresIn: values.expires,
    }),
  );
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'serve') return serveCommand(rest);
  if (command === 'token') return tokenCommand(rest);
  if (await storeCommand(command, rest)) return;
  console.log(USAGE);
  if (command !== undefined && command !== 'help' && command !== '--help') process.exitCode = 2;
}

main().catch((e: unknown) => {
  console.error(`fieldsync: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
