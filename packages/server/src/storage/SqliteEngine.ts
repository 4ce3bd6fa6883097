import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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
    getDoc: Database.Statement<[string, string], DocRow>;
    hasChange: Database.Statement<[string, string], { id: string }>;
    bumpSeq: Database.Statement<[number], { value: number }>;
    head: Database.Statement<[], { value: number }>;
    upsertDoc: Database.Statement<[string, string, string, number, number, string, string]>;
    insertChange: Database.Statement<[string, string, string, number]>;
  };

  constructor(options: SqliteEngineOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new Database(options.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#stmt = {
      getDoc: this.#db.prepare('SELECT id, type, seq, deleted, state, view FROM docs WHERE tenant = ? AND id = ?'),
      hasChange: this.#db.prepare('SELECT id FROM changes WHERE tenant = ? AND id = ?'),
      bumpSeq: this.#db.prepare("UPDATE meta SET value = value + ? WHERE key = 'seq' RETURNING value"),
      head: this.#db.prepare("SELECT value FROM meta WHERE key = 'seq'"),
      upsertDoc: this.#db.prepare(
        `INSERT INTO docs (tenant, id, type, seq, deleted, state, view) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant, id) DO UPDATE SET type = excluded.type, seq = excluded.seq,
           deleted = excluded.deleted, state = excluded.state, view = excluded.view`,
      ),
      insertChange: this.#db.prepare('INSERT INTO changes (tenant, id, doc, seq) VALUES (?, ?, ?, ?)'),
    };
  }

  async init(): Promise<void> {}

  async commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    const { tenant } = req;
    const run = this.#db.transaction((): CommitResult => {
      const known = new Set<string>();
      for (const id of req.changeIds) if (this.#stmt.hasChange.get(tenant, id)) known.add(id);
      const docs = new Map<string, StoredDoc>();
      for (const id of req.docIds) {
        const row = this.#stmt.getDoc.get(tenant, id);
        if (row) docs.set(id, toDoc(row));
      }
      const out = plan({ known, docs });
      if (out.docs.length === 0) return { docs: [], cursor: this.#stmt.head.get()?.value ?? 0 };
      const to = this.#stmt.bumpSeq.get(out.docs.length)?.value ?? 0;
      let seq = to - out.docs.length;
      const written: StoredDoc[] = [];
      const seqOf = new Map<string, number>();
      for (const d of out.docs) {
        seq += 1;
        this.#stmt.upsertDoc.run(tenant, d.id, d.type, seq, d.deleted ? 1 : 0, d.state, d.view);
        seqOf.set(d.id, seq);
        written.push({ ...d, seq });
      }
      for (const c of out.changes) this.#stmt.insertChange.run(tenant, c.id, c.doc, seqOf.get(c.doc) ?? to);
      return { docs: written, cursor: to };
    });
    const result = run.immediate();
    if (result.docs.length > 0) {
      const batch: CommittedBatch = { tenant, from: result.cursor - result.docs.length + 1, to: result.cursor, docs: result.docs };
      for (const l of this.#listeners) l(batch);
    }
    return result;
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
    const row = this.#stmt.getDoc.get(tenant, id);
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
    this.#listeners.clear();
    if (this.#db.open) this.#db.close();
  }
}
