import pg from 'pg';
import { newEpoch } from '../epoch.js';
import { createTenantSequences, tenantLockKeys } from './pgTenantSequences.js';
import { ALL_TENANTS } from '../StorageEngine.js';
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

interface DocRow {
  id: string;
  type: string;
  seq: string;
  deleted: boolean;
  state: string;
  view: string;
}

const toDoc = (r: DocRow): StoredDoc => ({
  id: r.id,
  type: r.type,
  seq: Number(r.seq),
  deleted: r.deleted,
  state: r.state,
  view: r.view,
});

const IDENT = /^[a-z_][a-z0-9_]{0,50}$/;

const localKey = (tenant: string, from: number): string => `${tenant}\u0000${from}`;

/**
 * PostgreSQL engine (JSON columns) for scale-out: several server processes share one database.
 *
 * Why an advisory lock per write: a PostgreSQL SEQUENCE hands out numbers in *start* order, but
 * transactions become visible in *commit* order, so a reader could see 11 before 10 commits and
 * skip 10 forever. Taking `pg_advisory_xact_lock` before assigning sequences makes assignment
 * order equal commit order across all processes. The lock is the tenant's (every tenant has a
 * sequence of its own, `tenants.seq`), so writes of different tenants commit in parallel; it is
 * held only for the write itself (one round of batched statements).
 *
 * Realtime across processes: the write transaction issues `pg_notify` with its sequence range;
 * PostgreSQL delivers notifications only after commit, in commit order, to every listener —
 * including this process, so local and remote writes take the same path to SSE clients.
 */
export class PostgresEngine implements StorageEngine {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #channel: string;
  readonly #listeners = new Set<(batch: CommittedBatch) => void>();
  /** Documents this process wrote, keyed by tenant and first sequence of the batch, until NOTIFY arrives. */
  readonly #local = new Map<string, StoredDoc[]>();
  #listen: pg.Client | undefined;
  #closed = false;
  #epoch = '';
  readonly maintenance: StoreMaintenance;

  constructor(options: PostgresEngineOptions) {
    const schema = options.schema ?? 'fieldsync';
    if (!IDENT.test(schema))
      throw new Error(`invalid schema name "${schema}" (lowercase letters, digits, _)`);
    this.schema = schema;
    this.#url = options.url;
    this.#channel = `fieldsync_${schema}`;
    this.#pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 8 });
    // An idle client that errors (server restart) must not crash the process.
    this.#pool.on('error', () => undefined);
    this.maintenance = this.#maintenance();
  }

  async init(): Promise<void> {
    const s = this.schema;
    const c = await this.#pool.connect();
    try {
      // Serialize concurrent schema creation by several processes starting at once.
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`init:${s}`]);
      // CREATE INDEX and ALTER TABLE take their table locks even when IF NOT EXISTS then finds
      // nothing to do; held to the end of this transaction while another process serves the
      // schema, they deadlock with its pushes (a process restarting beside a busy one died with
      // "deadlock detected", and pushes failed). So they run only when the object is missing.
      const missing = async (name: string): Promise<boolean> => {
        const res = await c.query<{ r: string | null }>('SELECT to_regclass($1) AS r', [`${s}.${name}`]);
        return (res.rows[0]?.r ?? null) === null;
      };
      const noColumn = async (table: string, column: string): Promise<boolean> =>
        (
          await c.query(
            'SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
            [s, table, column],
          )
        ).rowCount === 0;
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.docs (
        tenant text NOT NULL, id text NOT NULL, type text NOT NULL, seq bigint NOT NULL,
        deleted boolean NOT NULL, state json NOT NULL, view json NOT NULL, PRIMARY KEY (tenant, id))`);
      // Documents and type definitions are stored as `json` (the text as written), not `jsonb`,
      // which re-sorts object keys: a type's field order is part of the type (docs/schema.md).
      // A schema made when the columns were jsonb is converted once, in place.
      const stateType = await c.query<{ t: string }>(
        "SELECT data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'docs' AND column_name = 'state'",
        [s],
      );
      if (stateType.rows[0]?.t === 'jsonb')
        await c.query(
          `ALTER TABLE ${s}.docs ALTER COLUMN state TYPE json USING state::json, ALTER COLUMN view TYPE json USING view::json`,
        );
      if (await missing('docs_tenant_seq'))
        await c.query(`CREATE INDEX IF NOT EXISTS docs_tenant_seq ON ${s}.docs (tenant, seq)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.changes (
        tenant text NOT NULL, id text NOT NULL, doc text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (tenant, id))`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value bigint NOT NULL)`);
      // Issue 11 additions, applied in place to a schema created before them.
      if (await noColumn('changes', 'hash'))
        await c.query(`ALTER TABLE ${s}.changes ADD COLUMN IF NOT EXISTS hash text`);
      // changes_seq existed briefly (change ids are now compacted by key ranges): dropped if present.
      if (!(await missing('changes_seq'))) await c.query(`DROP INDEX IF EXISTS ${s}.changes_seq`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.info (key text PRIMARY KEY, value text NOT NULL)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.replicas (
        tenant text NOT NULL, replica text NOT NULL, owner text NOT NULL, PRIMARY KEY (tenant, replica))`);
      if (await missing('tenants')) await createTenantSequences(c, s);
      await c.query(`INSERT INTO ${s}.info (key, value) VALUES ('epoch', $1) ON CONFLICT DO NOTHING`, [
        newEpoch(),
      ]);
      const epoch = await c.query<{ value: string }>(`SELECT value FROM ${s}.info WHERE key = 'epoch'`);
      this.#epoch = epoch.rows[0]?.value ?? '';
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
    await this.#startListening();
  }

  async #startListening(initial = true): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    // If the listening connection dies (database restart, network), reconnect. Notifications sent
    // meanwhile are lost, so after reconnecting we announce the current head: the SSE hub sees
    // the sequence gap and reads the missed range from the tables.
    let retried = false;
    const retry = (): void => {
      if (retried || this.#closed) return;
      retried = true;
      if (this.#listen === client) this.#listen = undefined;
      this.#local.clear();
      void client.end().catch(() => undefined);
      setTimeout(() => void this.#startListening(false).catch(() => undefined), 1000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (msg) => {
      if (msg.channel !== this.#channel || !msg.payload) return;
      const { t, f, to } = JSON.parse(msg.payload) as { t: string; f: number; to: number };
      const docs = this.#local.get(localKey(t, f));
      this.#local.delete(localKey(t, f));
      this.#emit(docs ? { tenant: t, from: f, to, docs } : { tenant: t, from: f, to });
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (e) {
      if (initial) throw e;
      retry();
      return;
    }
    this.#listen = client;
    // Listeners re-read every tenant they serve from its head (see SseHub).
    if (!initial) this.#emit({ tenant: ALL_TENANTS, from: 0, to: 0 });
  }

  #emit(batch: CommittedBatch): void {
    for (const l of this.#listeners) l(batch);
  }

  /** Test hook: the backend pid of the LISTEN connection (to simulate losing it). */
  async listenerPid(): Promise<number | undefined> {
    const res = await this.#listen?.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return res?.rows[0]?.pid;
  }

  /**
   * One write in four round trips (latency under the lock is what bounds a tenant's throughput
   * across processes): BEGIN + the tenant's lock, one read of known change ids and current docs,
   * one statement that bumps the tenant's sequence, upserts the docs, inserts the change ids and
   * queues the NOTIFY, COMMIT.
   */
  async commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    const s = this.schema;
    const { tenant } = req;
    const c = await this.#pool.connect();
    let local: string | undefined;
    try {
      // Both keys are integers computed here, so inlining them is safe (and saves a round trip).
      const [k1, k2] = tenantLockKeys(s, tenant);
      await c.query(`BEGIN; SELECT pg_advisory_xact_lock(${k1}, ${k2})`);
      // Change ids come back with their content hash (in `state`), replicas with their owner.
      const read = await c.query<DocRow & { k: string }>(
        `SELECT 'd' AS k, id, type, seq, deleted, state::text AS state, view::text AS view FROM ${s}.docs WHERE tenant = $1 AND id = ANY($2::text[])
         UNION ALL
         SELECT 'c', id, NULL, NULL, NULL, hash, NULL FROM ${s}.changes WHERE tenant = $1 AND id = ANY($3::text[])
         UNION ALL
         SELECT 'r', replica, NULL, NULL, NULL, owner, NULL FROM ${s}.replicas WHERE tenant = $1 AND replica = ANY($4::text[])`,
        [tenant, req.docIds, req.changeIds, req.replicas ?? []],
      );
      const known = new Set<string>();
      const hashes = new Map<string, string>();
      const owners = new Map<string, string>();
      const docs = new Map<string, StoredDoc>();
      for (const r of read.rows) {
        if (r.k === 'c') {
          known.add(r.id);
          if (r.state !== null) hashes.set(r.id, r.state);
        } else if (r.k === 'r') owners.set(r.id, r.state);
        else docs.set(r.id, toDoc(r));
      }
      const out = plan({ known, hashes, owners, docs });
      if (out.docs.length === 0) {
        const head = await c.query<{ seq: string }>(`SELECT seq FROM ${s}.tenants WHERE tenant = $1`, [
          tenant,
        ]);
        await c.query('COMMIT');
        return { docs: [], cursor: Number(head.rows[0]?.seq ?? 0) };
      }
      const n = out.docs.length;
      const ordOf = new Map(out.docs.map((d, i) => [d.id, i + 1] as const));
      const wrote = await c.query<{ base: string }>(
        `WITH s AS (INSERT INTO ${s}.tenants AS t (tenant, seq) VALUES ($1, $2::bigint)
               ON CONFLICT (tenant) DO UPDATE SET seq = t.seq + excluded.seq RETURNING t.seq - $2::bigint AS base),
         d AS (INSERT INTO ${s}.docs (tenant, id, type, seq, deleted, state, view)
               SELECT $1, u.id, u.type, (SELECT base FROM s) + u.ord, u.deleted, u.state::json, u.view::json
               FROM unnest($3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[]) WITH ORDINALITY AS u(id, type, deleted, state, view, ord)
               ON CONFLICT (tenant, id) DO UPDATE SET type = excluded.type, seq = excluded.seq,
                 deleted = excluded.deleted, state = excluded.state, view = excluded.view),
         c AS (INSERT INTO ${s}.changes (tenant, id, doc, seq, hash)
               SELECT $1, v.id, v.doc, (SELECT base FROM s) + v.ord, v.hash FROM unnest($8::text[], $9::text[], $10::bigint[], $12::text[]) AS v(id, doc, ord, hash)),
         r AS (INSERT INTO ${s}.replicas (tenant, replica, owner)
               SELECT $1, b.replica, b.owner FROM unnest($13::text[], $14::text[]) AS b(replica, owner)),
         n AS (SELECT pg_notify($11, json_build_object('t', $1::text, 'f', base + 1, 'to', base + $2::bigint)::text) FROM s)
         SELECT base FROM s, n`,
        [
          tenant,
          n,
          out.docs.map((d) => d.id),
          out.docs.map((d) => d.type),
          out.docs.map((d) => d.deleted),
          out.docs.map((d) => d.state),
          out.docs.map((d) => d.view),
          out.changes.map((x) => x.id),
          out.changes.map((x) => x.doc),
          out.changes.map((x) => ordOf.get(x.doc) ?? n),
          this.#channel,
          out.changes.map((x) => x.hash ?? null),
          (out.bind ?? []).map((b) => b.replica),
          (out.bind ?? []).map((b) => b.user),
        ],
      );
      const base = Number(wrote.rows[0]?.base ?? 0);
      const written = out.docs.map((d, i) => ({ ...d, seq: base + i + 1 }));
      local = localKey(tenant, base + 1);
      this.#local.set(local, written);
      if (this.#local.size > 10_000) this.#local.clear(); // no listener draining it: bounded memory
      await c.query('COMMIT');
      return { docs: written, cursor: base + n };
    } catch (e) {
      if (local !== undefined) this.#local.delete(local);
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async pull(tenant: string, q: PullQuery): Promise<PullPage> {
    const params: unknown[] = [tenant, q.since, q.limit + 1];
    let where = 'tenant = $1 AND seq > $2';
    if (q.upTo !== undefined) {
      params.push(q.upTo);
      where += ` AND seq <= $${params.length}`;
    }
    if (q.types && q.types.length > 0) {
      params.push(q.types);
      where += ` AND type = ANY($${params.length}::text[])`;
    }
    const page = `SELECT id, type, seq, deleted, state::text AS state, view::text AS view FROM ${this.schema}.docs WHERE ${where} ORDER BY seq LIMIT $3`;
    if (q.maxBytes === undefined) {
      const res = await this.#pool.query<DocRow>(page, params);
      const more = res.rows.length > q.limit;
      const docs = (more ? res.rows.slice(0, q.limit) : res.rows).map(toDoc);
      const last = docs[docs.length - 1];
      return { docs, cursor: last ? last.seq : q.since, more };
    }
    // The byte budget is applied inside the database, so rows past it never reach this process.
    // First a cheap cut on stored sizes (`pg_column_size`, no conversion; at most the text size
    // for all but tiny values) drops rows that cannot fit, so only the rest are converted to text;
    // then a running total of the text sizes keeps every row that ends within the budget (the
    // first row always), and the one row that crosses it comes back without content, as the
    // "more" mark. `total` tells whether the first cut dropped rows (then more follow too).
    params.push(q.maxBytes);
    const b = `$${params.length}`;
    const res = await this.#pool.query<DocRow & { cut: boolean; total: string }>(
      `SELECT id, type, seq, deleted, CASE WHEN cut THEN NULL ELSE state END AS state,
              CASE WHEN cut THEN NULL ELSE view END AS view, cut, total
       FROM (SELECT *, rn > 1 AND run > ${b} AS cut FROM (
         SELECT t.*, row_number() OVER w AS rn,
                sum(octet_length(t.state) + octet_length(t.view)) OVER w AS run
         FROM (SELECT id, type, seq, deleted, state::text AS state, view::text AS view, total
               FROM (SELECT l.*, row_number() OVER v AS prn, count(*) OVER () AS total,
                            sum(pg_column_size(l.state) + pg_column_size(l.view)) OVER v AS prun
                     FROM (SELECT id, type, seq, deleted, state, view FROM ${this.schema}.docs
                           WHERE ${where} ORDER BY seq LIMIT $3) l
                     WINDOW v AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)) s
               WHERE prn <= 2 OR prun - pg_column_size(state) - pg_column_size(view) <= ${b}) t
         WINDOW w AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)) r
       ) c WHERE rn <= 2 OR run - octet_length(state) - octet_length(view) <= ${b}
       ORDER BY seq`,
      params,
    );
    const kept = res.rows.filter((r) => !r.cut);
    const examined = Number(res.rows[0]?.total ?? 0);
    const more = kept.length < res.rows.length || kept.length > q.limit || res.rows.length < examined;
    const docs = (kept.length > q.limit ? kept.slice(0, q.limit) : kept).map(toDoc);
    const last = docs[docs.length - 1];
    return { docs, cursor: last ? last.seq : q.since, more };
  }

  async getDoc(tenant: string, id: string): Promise<StoredDoc | undefined> {
    const res = await this.#pool.query<DocRow>(
      `SELECT id, type, seq, deleted, state::text AS state, view::text AS view FROM ${this.schema}.docs WHERE tenant = $1 AND id = $2`,
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

  #maintenance(): StoreMaintenance {
    const s = this.schema;
    const q = async (sql: string, params: unknown[] = []): Promise<pg.QueryResult> =>
      this.#pool.query(sql, params);
    const tenantColumn = async (tenant: string, col: 'compacted' | 'swept'): Promise<number> =>
      Number((await q(`SELECT ${col} AS v FROM ${s}.tenants WHERE tenant = $1`, [tenant])).rows[0]?.v ?? 0);
    const raise = async (tenant: string, col: 'compacted' | 'swept', upTo: number): Promise<void> =>
      void (await q(`UPDATE ${s}.tenants SET ${col} = GREATEST(${col}, $2) WHERE tenant = $1`, [
        tenant,
        upTo,
      ]));
    return {
      // Only tenants whose head moved since their last mark: headAt answers the same for the others.
      mark: async (now) =>
        void (await q(
          `INSERT INTO ${s}.tenant_marks (tenant, at, head) SELECT t.tenant, $1, t.seq FROM ${s}.tenants AS t
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.tenant_marks AS m WHERE m.tenant = t.tenant AND m.head >= t.seq)
           ON CONFLICT (tenant, at) DO UPDATE SET head = excluded.head`,
          [now],
        )),
      headAt: async (tenant, time) =>
        Number(
          (
            await q(`SELECT max(head) AS head FROM ${s}.tenant_marks WHERE tenant = $1 AND at <= $2`, [
              tenant,
              time,
            ])
          ).rows[0]?.head ?? 0,
        ),
      pruneMarks: async (time) =>
        void (await q(
          `DELETE FROM ${s}.tenant_marks AS d WHERE at < (SELECT max(at) FROM ${s}.tenant_marks AS k
           WHERE k.tenant = d.tenant AND k.at <= $1)`,
          [time],
        )),
      compacted: (tenant) => tenantColumn(tenant, 'compacted'),
      setCompacted: (tenant, upTo) => raise(tenant, 'compacted', upTo),
      swept: (tenant) => tenantColumn(tenant, 'swept'),
      setSwept: (tenant, upTo) => raise(tenant, 'swept', upTo),
      deleteChanges: async (tenant, below, limit) =>
        (
          await q(
            `DELETE FROM ${s}.changes WHERE tenant = $1 AND id IN (SELECT id FROM ${s}.changes WHERE tenant = $1 AND id < $2 ORDER BY id LIMIT $3)`,
            [tenant, below, limit],
          )
        ).rowCount ?? 0,
      deleteTombstones: async (tenant, upTo, limit) =>
        (
          await q(
            `DELETE FROM ${s}.docs WHERE tenant = $1 AND id IN (SELECT id FROM ${s}.docs
             WHERE tenant = $1 AND deleted AND seq <= $2 ORDER BY seq LIMIT $3)`,
            [tenant, upTo, limit],
          )
        ).rowCount ?? 0,
      tenants: async () =>
        (await q(`SELECT tenant FROM ${s}.tenants`)).rows.map((r: { tenant: string }) => r.tenant),
      rewrite: async (tenant, rows) =>
        (
          await q(
            `UPDATE ${s}.docs AS d SET state = u.state::json
             FROM unnest($2::text[], $3::bigint[], $4::text[]) AS u(id, seq, state)
             WHERE d.tenant = $1 AND d.id = u.id AND d.seq = u.seq`,
            [tenant, rows.map((r) => r.id), rows.map((r) => r.seq), rows.map((r) => r.state)],
          )
        ).rowCount ?? 0,
      resetEpoch: async () => {
        const epoch = newEpoch();
        await q(
          `INSERT INTO ${s}.info (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [epoch],
        );
        this.#epoch = epoch;
        return epoch;
      },
    };
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops the schema and everything in it (tests). */
  async dropSchema(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#listen?.end().catch(() => undefined);
    await this.#pool.end();
  }
}
