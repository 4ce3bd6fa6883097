import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../../testing/pgTest.js';
import { storageSuite } from './storageSuite.js';

storageSuite('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-sqlite-'));
  const file = join(dir, 'db.sqlite');
  return {
    create: async () => new SqliteEngine({ file }),
    reopen: async () => new SqliteEngine({ file }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

if (await pgReachable()) {
  storageSuite('postgres', () => {
    const schema = uniqueSchema();
    return {
      create: async () => new PostgresEngine({ url: PG_URL, schema }),
      reopen: async () => new PostgresEngine({ url: PG_URL, schema }),
      cleanup: () => dropSchema(schema),
    };
  });
}
