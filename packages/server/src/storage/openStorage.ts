import { join } from 'node:path';
import { SQLITE_FILE } from './checkDataDir.js';
import { PostgresEngine } from './postgres/PostgresEngine.js';
import { SqliteEngine } from './sqlite/SqliteEngine.js';
import type { StorageEngine } from './StorageEngine.js';

/** `{ postgres: url }` selects PostgreSQL; otherwise SQLite in `data` (default `./data`). */
export function openStorage(o: {
  postgres?: string;
  schema?: string;
  data?: string;
  synchronous?: 'FULL' | 'NORMAL';
}): StorageEngine {
  if (o.postgres) return new PostgresEngine({ url: o.postgres, ...(o.schema ? { schema: o.schema } : {}) });
  return new SqliteEngine({
    file: join(o.data ?? './data', SQLITE_FILE),
    ...(o.synchronous ? { synchronous: o.synchronous } : {}),
  });
}
