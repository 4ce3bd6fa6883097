import { parseArgs } from 'node:util';
import { DEFAULT_HISTORY_HORIZON_MS, HistoryCompactor } from '../history/HistoryCompactor.js';
import { openStorage } from '../storage/openStorage.js';
import { backupSqlite, restoreSqlite } from '../storage/sqlite/sqliteBackup.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { USAGE, UsageError } from './usage.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration like `30d`, `12h`, `90s`, `500ms` (or `forever`) into ms. */
export function parseDuration(raw: string, name: string, command?: 'serve'): number {
  if (raw === 'forever') return Infinity;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw.trim());
  const n = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(n > 0))
    throw new UsageError(
      `${name} must be a duration like 30d, 12h, 90s or 500ms (or forever), got "${raw}"`,
      command,
    );
  return n;
}

const STORE_OPTIONS = {
  data: { type: 'string', default: './data' },
  postgres: { type: 'string' },
  schema: { type: 'string' },
} as const;

const storageOf = (v: { data: string; postgres?: string | undefined; schema?: string | undefined }) =>
  openStorage({
    ...(v.postgres ? { postgres: v.postgres } : { data: v.data }),
    ...(v.schema ? { schema: v.schema } : {}),
  });

/** `fieldsync backup|restore|reset-epoch|compact …`; false if `command` is none of them. */
export async function storeCommand(command: string | undefined, argv: string[]): Promise<boolean> {
  if (!['backup', 'restore', 'reset-epoch', 'compact'].includes(command ?? '')) return false;
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return true;
  }
  switch (command) {
    case 'backup': {
      const { values, positionals } = parseCommandArgs(undefined, () =>
        parseArgs({
          args: argv,
          options: STORE_OPTIONS,
          allowPositionals: true,
        }),
      );
      const dest = positionals[0];
      if (!dest || positionals.length > 1)
        throw new UsageError('backup needs one directory: fieldsync backup DIR');
      if (values.postgres)
        throw new Error(
          'PostgreSQL: use pg_dump / pg_restore, then fieldsync reset-epoch (docs/protocol.md)',
        );
      const { file, epoch } = backupSqlite(values.data, dest);
      console.log(`backup written to ${file} (epoch ${epoch})`);
      return true;
    }
    case 'restore': {
      const { values, positionals } = parseCommandArgs(undefined, () =>
        parseArgs({
          args: argv,
          options: { ...STORE_OPTIONS, force: { type: 'boolean', default: false } },
          allowPositionals: true,
        }),
      );
      const from = positionals[0];
      if (!from || positionals.length > 1)
        throw new UsageError('restore needs one directory: fieldsync restore DIR [--data ./data] [--force]');
      const { epoch } = restoreSqlite(from, values.data, values.force);
      console.log(`restored ${from} into ${values.data} (new epoch ${epoch}); start the server`);
      return true;
    }
    case 'reset-epoch': {
      const { values } = parseCommandArgs(undefined, () => parseArgs({ args: argv, options: STORE_OPTIONS }));
      const storage = storageOf(values);
      try {
        await storage.init();
        console.log(`new epoch ${await storage.maintenance.resetEpoch()}; restart every server process`);
      } finally {
        await storage.close();
      }
      return true;
    }
    case 'compact': {
      const { values } = parseCommandArgs(undefined, () =>
        parseArgs({
          args: argv,
          options: { ...STORE_OPTIONS, 'history-horizon': { type: 'string' } },
        }),
      );
      const horizon = values['history-horizon']
        ? parseDuration(values['history-horizon'], '--history-horizon')
        : DEFAULT_HISTORY_HORIZON_MS;
      const storage = storageOf(values);
      try {
        await storage.init();
        const r = await new HistoryCompactor(storage, horizon).run();
        console.log(
          `compacted the history of ${Object.keys(r.compacted).length} of ${r.tenants} tenants: ${r.changeIds} change ids, ${r.deletedDocs} deleted documents, set tombstones of ${r.setDocs} and text/list tombstones of ${r.sequenceDocs} documents (${Math.round(r.ms)} ms)`,
        );
      } finally {
        await storage.close();
      }
      return true;
    }
    default:
      return false;
  }
}
