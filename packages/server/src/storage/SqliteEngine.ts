import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  CommitPlan,
  CommitRequest,
  CommitResult,
  CommittedBatch,
  LoadedState,
  PullPage,
  PullQuery,
  StorageEngine,
  StoredDoc,
} from './StorageEngine.js';

export interface SqliteEngineOptions {
  /** Database file (created with its directory), or `:memory:` for tests. */
  file: string;
  /**
   * `FULL` (default) fsyncs the WAL on every commit, so an acknowledged push survives an OS
   * crash, not only a process crash. `NORMAL` survives process crashes only, and is faster.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Copy the WAL back into the database file from a worker thread (default true for files).
   * Why: SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, on the
   * event loop, and with random document ids it rewrites the same index pages again and again;
   * measured here it took ~40% of the write path. Commits still sync the WAL as `synchronous`
   * says, so durability is unchanged; the WAL file grows by what is written between two passes.
   */
  backgroundCheckpoints?: boolean;
}

/** How often the worker checkpoints (PASSIVE: never blocks writers or readers). */
const CHECKPOINT_INTERVAL_MS = 250;

// Runs in a worker thread: its own connection to the same file, PASSIVE checkpoints on a timer.
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
try {
  const Database = require('node:module').createRequire(workerData.from)('better-sqlite3');
  db = new Database(workerData.file);
  db.pragma('busy_timeout = 1000');
} catch (e) {
  // Cannot checkpoint from here: tell the engine, which turns SQLite's own checkpoints back on.
  parentPort.postMessage(String(e));
  process.exit(0);
}
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.interval);
parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); db.close(); } catch {} parentPort.close(); });
`;

function startCheckpointer(file: string, onFailure: () => void): Worker | undefined {
  try {
    const w = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { file, from: import.meta.url, interval: CHECKPOINT_INTERVAL_MS } });
    w.on('error', (e) => {
      console.error('[fieldsync] SQLite checkpoint worker failed', e);
      onFailure();
    });
    w.once('message', onFailure);
    w.unref();
    return w;
  } catch {
    return undefined;
  }
}

interface DocRow {
  id: string;
  type: string;
  seq: number;
  deleted: number;
  state: string;
  view: string;
}

// docs is a rowid table on purpose: its rows (two JSON texts) are large, and a WITHOUT ROWID
// B-tree moves whole rows on every page split — measured 5x slower upserts here.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS docs (
  tenant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL, state TEXT NOT NULL, view TEXT NOT NULL,
  PRIMARY KEY (tenant, id));
CREATE INDEX IF NOT EXISTS docs_tenant_seq ON docs (tenant, seq);
CREATE TABLE IF NOT EXISTS changes (
  tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (tenant, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', 0);
`;

interface Queued {
  req: CommitRequest;
  plan: (loaded: LoadedState) => CommitPlan;
  resolve: (r: CommitResult) => void;
  reject: (e: unknown) => void;
}
type Outcome = { ok: CommitResult } | { err: unknown };

/** Rows per multi-row INSERT (7 parameters each; well below SQLite's 32,766-parameter limit). */
const ROWS_PER_STATEMENT = 100;
const UPSERT_DOCS = {
  head: 'INSERT INTO docs (tenant, id, type, seq, deleted, state, view) VALUES',
  row: '(?, ?, ?, ?, ?, ?, ?)',
  tail: `ON CONFLICT (tenant, id) DO UPDATE SET type = excluded.type, seq = excluded.seq,
    deleted = excluded.deleted, state = excluded.state, view = excluded.view`,
};
const INSERT_CHANGES = { head: 'INSERT INTO changes (tenant, id, doc, seq) VALUES', row: '(?, ?, ?, ?)', tail: '' };

const toDoc = (r: DocRow): StoredDoc => ({
  id: r.id,
  type: r.type,
  seq: r.seq,
  deleted: r.deleted === 1,
  state: r.state,
  view: r.view,
});

/**
 * The embedded default engine: one SQLite file in WAL mode.
 *
 * better-sqlite3 is synchronous, so a whole push (load, merge, write, commit) runs without
 * yielding to the event loop: writers are naturally serialized inside this process, and
 * `BEGIN IMMEDIATE` serializes them against other processes opening the same file.
 */
export class SqliteEngine implements StorageEngine {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #listeners = new Set<(batch: CommittedBatch) => void>();
  readonly #stmt: {
    getDocs: Database.Statement<[string, string], DocRow>;
    knownChanges: Database.Statement<[string, string], { id: string }>;
    bumpSeq: Database.Statement<[number], { value: number }>;
    head: Database.Statement<[], { value: number }>;
  };
  /** Multi-row upsert/insert statements by row count (1..ROWS_PER_STATEMENT), prepared lazily. */
  readonly #upsertDocs = new Map<number, Database.Statement<unknown[]>>();
  readonly #insertChanges = new Map<number, Database.Statement<unknown[]>>();
  /** Pushes waiting for the next group commit. */
  #queue: Queued[] = [];
  #flushScheduled = false;
  readonly #checkpointer: Worker | undefined;
  readonly #group: Database.Transaction<(queue: Queued[]) => Outcome[]>;
  readonly #one: Database.Transaction<(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan) => CommitResult>;

  constructor(options: SqliteEngineOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new Database(options.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#checkpointer = options.file !== ':memory:' && options.backgroundCheckpoints !== false ? startCheckpointer(options.file, () => this.#db.open && this.#db.pragma('wal_autocheckpoint = 1000')) : undefined;
    // The worker checkpoints instead; without it SQLite's own automatic checkpoint stays on.
    if (this.#checkpointer) this.#db.pragma('wal_autocheckpoint = 0');
    this.#stmt = {
      // One read per push for all its documents and all its change ids (a JSON array parameter).
      getDocs: this.#db.prepare(
        'SELECT id, type, seq, deleted, state, view FROM docs WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))',
      ),
      knownChanges: this.#db.prepare('SELECT id FROM changes WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))'),
      bumpSeq: this.#db.prepare("UPDATE meta SET value = value + ? WHERE key = 'seq' RETURNING value"),
      head: this.#db.prepare("SELECT value FROM meta WHERE key = 'seq'"),
    };
    // A push's savepoint inside the group's transaction: a push whose plan or writes throw is
    // rolled back alone (no half-applied push), the others of its group still commit.
    this.#one = this.#db.transaction((req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan) => this.#apply(req, plan));
    this.#group = this.#db.transaction((queue: Queued[]): Outcome[] =>
      queue.map((p) => {
        try {
          return { ok: this.#one(p.req, p.plan) };
        } catch (err) {
          return { err };
        }
      }),
    );
  }

  async init(): Promise<void> {}

  /**
   * Group commit: pushes that reach `commit` in the same event-loop turn (typically several
   * concurrent requests whose bodies arrived while the previous commit was syncing) share one
   * transaction and one WAL sync. Each push runs in its own savepoint, gets its own contiguous
   * sequence range in arrival order, and is answered only after the shared COMMIT returned.
   */
  commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ req, plan, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    if (queue.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.#db.open ? this.#group.immediate(queue) : queue.map(() => ({ err: new Error('the database is closed') }));
    } catch (err) {
      // BEGIN or COMMIT failed: nothing of this group is stored.
      for (const p of queue) p.reject(err);
      return;
    }
    for (let i = 0; i < queue.length; i++) {
      const p = queue[i]!;
      const o = outcomes[i]!;
      if ('err' in o) {
        p.reject(o.err);
        continue;
      }
      const result = o.ok;
      if (result.docs.length > 0) {
        const batch: CommittedBatch = { tenant: p.req.tenant, from: result.cursor - result.docs.length + 1, to: result.cursor, docs: result.docs };
        for (const l of this.#listeners) l(batch);
      }
      p.resolve(result);
    }
  }

  #apply(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): CommitResult {
    const { tenant } = req;
    const known = new Set<string>();
    if (req.changeIds.length > 0) for (const r of this.#stmt.knownChanges.all(tenant, JSON.stringify(req.changeIds))) known.add(r.id);
    const docs = new Map<string, StoredDoc>();
    if (req.docIds.length > 0) for (const r of this.#stmt.getDocs.all(tenant, JSON.stringify(req.docIds))) docs.set(r.id, toDoc(r));
    const out = plan({ known, docs });
    if (out.docs.length === 0) return { docs: [], cursor: this.#stmt.head.get()?.value ?? 0 };
    const n = out.docs.length;
    const to = this.#stmt.bumpSeq.get(n)?.value ?? 0;
    const base = to - n;
    const written: StoredDoc[] = new Array(n);
    const seqOf = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const d = out.docs[i]!;
      seqOf.set(d.id, base + i + 1);
      written[i] = { ...d, seq: base + i + 1 };
    }
    for (let i = 0; i < n; i += ROWS_PER_STATEMENT) {
      const rows = written.slice(i, i + ROWS_PER_STATEMENT);
      const params: unknown[] = [];
      for (const d of rows) params.push(tenant, d.id, d.type, d.seq, d.deleted ? 1 : 0, d.state, d.view);
      this.#rowsStatement(this.#upsertDocs, rows.length, UPSERT_DOCS).run(params);
    }
    for (let i = 0; i < out.changes.length; i += ROWS_PER_STATEMENT) {
      const rows = out.changes.slice(i, i + ROWS_PER_STATEMENT);
      const params: unknown[] = [];
      for (const c of rows) params.push(tenant, c.id, c.doc, seqOf.get(c.doc) ?? to);
      this.#rowsStatement(this.#insertChanges, rows.length, INSERT_CHANGES).run(params);
    }
    return { docs: written, cursor: to };
  }

  #rowsStatement(cache: Map<number, Database.Statement<unknown[]>>, rows: number, sql: { head: string; row: string; tail: string }): Database.Statement<unknown[]> {
    let st = cache.get(rows);
    if (!st) {
      st = this.#db.prepare<unknown[]>(`${sql.head} ${Array.from({ length: rows }, () => sql.row).join(',')} ${sql.tail}`);
      cache.set(rows, st);
    }
    return st;
  }

  async pull(tenant: string, q: PullQuery): Promise<PullPage> {
    const params: unknown[] = [tenant, q.since];
    let sql = 'SELECT id, type, seq, deleted, state, view FROM docs WHERE tenant = ? AND seq > ?';
    if (q.upTo !== undefined) {
      sql += ' AND seq <= ?';
      params.push(q.upTo);
    }
    if (q.types && q.types.length > 0) {
      sql += ` AND type IN (${q.types.map(() => '?').join(',')})`;
      params.push(...q.types);
    }
    sql += ' ORDER BY seq LIMIT ?';
    params.push(q.limit + 1);
    const rows = this.#db.prepare<unknown[], DocRow>(sql).all(...params);
    const more = rows.length > q.limit;
    const docs = (more ? rows.slice(0, q.limit) : rows).map(toDoc);
    const last = docs[docs.length - 1];
    return { docs, cursor: last ? last.seq : q.since, more };
  }

  async getDoc(tenant: string, id: string): Promise<StoredDoc | undefined> {
    const row = this.#stmt.getDocs.get(tenant, JSON.stringify([id]));
    return row ? toDoc(row) : undefined;
  }

  async head(): Promise<number> {
    return this.#stmt.head.get()?.value ?? 0;
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#queue.length > 0) this.#flush(); // answer queued pushes before closing
    this.#listeners.clear();
    if (this.#checkpointer) {
      const w = this.#checkpointer;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => void w.terminate().then(() => resolve()), 5000);
        w.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        w.postMessage('close');
      });
    }
    if (this.#db.open) this.#db.close();
  }
}
