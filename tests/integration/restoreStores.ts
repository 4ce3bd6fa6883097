import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresEngine, SqliteEngine, type StorageEngine } from '@fieldsync/server';
import { PG_URL, dropSchema, uniqueSchema } from '../../testing/pgTest.js';

/**
 * A server store that can be backed up and restored the way an operator would: SQLite by copying
 * the file while the server is stopped, PostgreSQL by copying the schema's tables in one
 * repeatable-read transaction while it serves.
 */
export interface Store {
  open(): StorageEngine;
  /** Takes a backup; returns the store it restores to. */
  backup(stopServer: () => Promise<void>, startServer: () => Promise<void>): Promise<Store>;
  cleanup(): Promise<void>;
}

export function sqliteStore(dir: string, name = 'db.sqlite'): Store {
  const file = join(dir, name);
  return {
    open: () => new SqliteEngine({ file, synchronous: 'NORMAL' }),
    async backup(stop, start) {
      await stop();
      const copy = `backup-${Date.now()}.sqlite`;
      copyFileSync(file, join(dir, copy));
      for (const ext of ['-wal', '-shm'])
        if (existsSync(file + ext)) copyFileSync(file + ext, join(dir, copy + ext));
      await start();
      return sqliteStore(dir, copy);
    },
    cleanup: async () => undefined,
  };
}

export function pgStore(schema = uniqueSchema()): Store {
  return {
    open: () => new PostgresEngine({ url: PG_URL, schema }),
    async backup() {
      const copy = uniqueSchema();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const tables = await c.query<{ t: string }>(
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        );
        await c.query(`CREATE SCHEMA ${copy}`);
        for (const { t } of tables.rows) {
          await c.query(`CREATE TABLE ${copy}.${t} (LIKE ${schema}.${t} INCLUDING ALL)`);
          await c.query(`INSERT INTO ${copy}.${t} SELECT * FROM ${schema}.${t}`);
        }
        await c.query('COMMIT');
      } finally {
        await c.end();
      }
      return pgStore(copy);
    },
    cleanup: () => dropSchema(schema),
  };
}
