import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { TypeDef } from '@fieldsync/core';
import type { Permissions } from '../auth/rules.js';
import { demoRefusal } from '../demo/demoMode.js';
import { startServer } from '../server.js';
import { checkDataDir } from '../storage/checkDataDir.js';
import { openStorage } from '../storage/openStorage.js';
import { devSecretWarning, jwtSecretFromEnv } from './jwtSecret.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { parseDuration } from './storeCommands.js';
import { SERVE_USAGE, UsageError } from './usage.js';

const integer = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got "${raw}"`, 'serve');
  return n;
};

/** Reads `--types` and `--config`; errors name the file. */
async function loadDefinitions(
  typesFile: string | undefined,
  configFile: string | undefined,
): Promise<{ types: TypeDef[]; permissions: Permissions | undefined }> {
  let types: TypeDef[] = [];
  let permissions: Permissions | undefined;
  if (typesFile) {
    try {
      types = JSON.parse(readFileSync(typesFile, 'utf8')) as TypeDef[];
    } catch (e) {
      throw new Error(`--types ${resolve(typesFile)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!Array.isArray(types))
      throw new Error(`--types ${resolve(typesFile)}: must hold a JSON array of types`);
  }
  if (configFile) {
    const mod = (await import(pathToFileURL(resolve(configFile)).href)) as {
      default?: { permissions?: Permissions; types?: TypeDef[] };
    };
    permissions = mod.default?.permissions;
    types = [...types, ...(mod.default?.types ?? [])];
  }
  return { types, permissions };
}

/**
 * `fieldsync serve`. Order matters: every option is validated, then the port is bound, then
 * storage is opened, so a mistake or a busy port leaves nothing new on disk.
 */
export async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('serve', () =>
    parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
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
    }),
  );
  if (values.help) {
    console.log(SERVE_USAGE);
    return;
  }
  const port = integer('port', values.port, 0, 65535);
  const sync = values['sqlite-sync'].toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL')
    throw new UsageError(`--sqlite-sync must be full or normal, got "${values['sqlite-sync']}"`, 'serve');
  const heartbeatMs = values.heartbeat ? integer('heartbeat', values.heartbeat, 100, 3_600_000) : undefined;
  const rps = values['rate-per-second']
    ? integer('rate-per-second', values['rate-per-second'], 1, 1e6)
    : undefined;
  const horizon = values['history-horizon']
    ? parseDuration(values['history-horizon'], '--history-horizon', 'serve')
    : undefined;
  const { secret, isDev } = jwtSecretFromEnv();
  const refused = values.demo ? demoRefusal({ secret, host: values.host }) : undefined;
  if (refused) throw new Error(`--demo refused: ${refused}`);
  const { types, permissions } = await loadDefinitions(values.types, values.config);
  if (!values.postgres) checkDataDir(values.data);

  const server = await startServer({
    storage: () =>
      openStorage({
        synchronous: sync,
        ...(values.postgres ? { postgres: values.postgres } : { data: values.data }),
        ...(values.schema ? { schema: values.schema } : {}),
      }),
    secret,
    types,
    ...(permissions ? { permissions } : {}),
    port,
    host: values.host,
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    ...(rps ? { limits: { rate: { perSecond: rps, burst: rps * 4 } } } : {}),
    ...(values.app ? { app: values.app } : {}),
    demo: values.demo,
    ...(horizon !== undefined ? { historyHorizonMs: horizon } : {}),
  });
  if (isDev) console.warn(devSecretWarning('serve'));
  console.log(
    `fieldsync listening on ${server.url} (storage: ${server.context.storage.kind}${values.postgres ? '' : `, ${resolve(values.data)}`})`,
  );
  if (values.app) console.log(`  app: ${server.url}/ (from ${resolve(values.app)})`);
  if (values.demo) console.log(`  demo mode: tenant "demo", sign in as anna, ben, carla, dora or adam`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
