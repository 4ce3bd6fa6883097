import pg from 'pg';
import type {
  CommitPlan,
  CommitRequest,
  CommitResult,
  CommittedBatch,
  LoadedState,
  PullPage,
  PullQuery,
  StorageEngine,
  StoreMaintenance,
  StoredDoc,
} from '../StorageEngine.js';
import { PgCommitFeed } from './PgCommitFeed.js';
import { pgCommit, type PgWriteTarget } from './pgCommit.js';
import { pgMaintenance } from './pgMaintenance.js';
import { pgPull } from './pgPull.js';
import { DOC_COLUMNS, toDoc, type DocRow } from './pgRows.js';
import { initSchema } from './pgSchema.js';

export interface PostgresEngineOptions {
  /** e.g. `postgres://postgres@127.0.0.1:5432/test`. */
  url: string;
  /**
   * Schema holding the tables (created if missing). Every server process sharing a database
   * must use the same schema to see the same data; tests use a unique schema per run.
   */
  schema?: string;
  /** Pool size for pushes and pulls. */
  poolSize?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,50}$/;

/**
 * PostgreSQL engine (JSON columns) for scale-out: several server processes share one database.
 *
 * Its parts: `pgSchema.ts` creates and upgrades the tables, `pgCommit.ts` writes under the
 * tenant's advisory lock (why a lock: see there), `pgPull.ts` reads pages within a byte budget
 * on each row's stored size (`pgDocBytes.ts`), `PgCommitFeed.ts` delivers every process's
 * commits through LISTEN/NOTIFY, and `pgMaintenance.ts` does history compaction's small writes.
 */
export class PostgresEngine implements StorageEngine {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #feed: PgCommitFeed;
  readonly #write: PgWriteTarget;
  #closed = false;
  #epoch = '';
  readonly maintenance: StoreMaintenance;

  constructor(options: PostgresEngineOptions) {
    const schema = options.schema ?? 'fieldsync';
    if (!IDENT.test(schema))
      throw new Error(`invalid schema name "${schema}" (lowercase letters, digits, _)`);
    this.schema = schema;
    const channel = `fieldsync_${schema}`;
    this.#pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 8 });
    // An idle client that errors (server restart) must not crash the process.
    this.#pool.on('error', () => undefined);
    this.#feed = new PgCommitFeed(options.url, channel);
    this.#write = { pool: this.#pool, schema, channel, feed: this.#feed };
    this.maintenance = pgMaintenance(this.#pool, schema, (epoch) => (this.#epoch = epoch));
  }

  async init(): Promise<void> {
    const c = await this.#pool.connect();
    try {
      this.#epoch = await initSchema(c, this.schema);
    } finally {
      c.release();
    }
    await this.#feed.start();
  }

  /** Test hook: the backend pid of the LISTEN connection (to simulate losing it). */
  listenerPid(): Promise<number | undefined> {
    return this.#feed.listenerPid();
  }

  commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    return pgCommit(this.#write, req, plan);
  }

  pull(tenant: string, q: PullQuery): Promise<PullPage> {
    return pgPull(this.#pool, this.schema, tenant, q);
  }

  async getDoc(tenant: string, id: string): Promise<StoredDoc | undefined> {
    const res = await this.#pool.query<DocRow>(
      `SELECT ${DOC_COLUMNS} FROM ${this.schema}.docs WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    const row = res.rows[0];
    return row ? toDoc(row) : undefined;
  }

  async tenantHead(tenant: string): Promise<number> {
    const res = await this.#pool.query<{ seq: string }>(
      `SELECT seq FROM ${this.schema}.tenants WHERE tenant = $1`,
      [tenant],
    );
    return Number(res.rows[0]?.seq ?? 0);
  }

  async ping(): Promise<void> {
    await this.#pool.query(`SELECT 1 FROM ${this.schema}.info LIMIT 1`);
  }

  epoch(): string {
    return this.#epoch;
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    return this.#feed.onCommit(listener);
  }

  /** Drops the schema and everything in it (tests). */
  async dropSchema(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#feed.close();
    await this.#pool.end();
  }
}
