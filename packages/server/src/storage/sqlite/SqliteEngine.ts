import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describeFsError } from '../checkDataDir.js';
import type { Worker } from 'node:worker_threads';
import { startCheckpointer } from './sqliteCheckpointer.js';
import { stopWorker } from './stopWorker.js';
import { docKeyHash } from './docKeyHash.js';
import { newEpoch } from '../epoch.js';
import type { MaintenanceOp } from './sqliteMaintenance.js';
import { openLayout, toDoc, type DocRow } from './sqliteSchema.js';
import type { GroupResult, WriteOutcome, WritePush } from './sqliteGroupWrite.js';
import { WriterThread } from './sqliteWriter.js';
import type { WriterMessage } from './sqliteWriterProtocol.js';
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

export interface SqliteEngineOptions {
  /** Database file (created with its directory), or `:memory:` for a private temporary file. */
  file: string;
  /**
   * `FULL` (default) fsyncs the WAL on every commit, so an acknowledged push survives an OS
   * crash, not only a process crash. `NORMAL` survives process crashes only, and is faster.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Copy the WAL back into the database file from a worker thread (default true). */
  backgroundCheckpoints?: boolean;
}

interface Pending {
  req: CommitRequest;
  plan: (loaded: LoadedState) => CommitPlan;
  resolve: (r: CommitResult) => void;
  reject: (e: unknown) => void;
  conflicts: number;
}

/** A compaction step queued for the writer thread. */
interface MaintJob {
  op: MaintenanceOp;
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
}

/** A merged push waiting for (or at) the writer thread. */
interface Planned {
  p: Pending;
  docs: Array<Omit<StoredDoc, 'seq'>>;
  write: WritePush;
  keys: string[];
}

/** A push that keeps conflicting with writes of another process is refused after this many tries. */
const MAX_CONFLICTS = 10;
/**
 * Documents per group commit, at most (a single larger push still goes alone). Bounds how long a
 * push waits behind others that queued while the writer was busy.
 */
const MAX_GROUP_DOCS = 20_000;

const key = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

/**
 * The embedded default engine: one SQLite file in WAL mode, written by a dedicated thread.
 *
 * Why a writer thread: inserting into the B-trees, writing the WAL and syncing it cost as much
 * CPU as everything else of a push together (HTTP, JSON, merge, serialization). The main thread
 * reads the stored state (its own connection; WAL readers never wait for the writer), merges,
 * and hands the serialized rows to the writer, which commits groups of pushes while the main
 * thread already merges the next ones.
 *
 * Correctness is optimistic concurrency control: the writer updates a document only if it still
 * carries the sequence the main thread merged onto, and inserts new documents and change ids only
 * if they are still absent — else that push is rolled back alone and merged again. Inside this
 * process that never happens (a push touching a document already being written waits for that
 * write before it reads); it guards against another process writing the same file.
 * Acknowledgements and realtime batches are released only after the writer's COMMIT returned.
 *
 * Every group is written by the writer thread, even a lone small push while it is idle. Writing
 * such a push on the main thread instead (a third connection; removed) saved ~0.3 ms per push
 * with synchronous=NORMAL and nothing measurable with FULL or end to end (docs/benchmarks.md).
 */
export class SqliteEngine implements StorageEngine {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #listeners = new Set<(batch: CommittedBatch) => void>();
  readonly #stmt: {
    getDocs: Database.Statement<[string, string], DocRow & { rowid: number }>;
    knownChanges: Database.Statement<[string, string], { id: string; hash: string | null }>;
    owners: Database.Statement<[string, string], { replica: string; owner: string }>;
    tenant: Database.Statement<[string], { seq: number; compacted: number; swept: number }>;
    ping: Database.Statement<[], { value: number }>;
  };
  readonly #writer: WriterThread;
  readonly #checkpointer: Worker | undefined;
  readonly #tempDir: string | undefined;
  /** Secret base of this database's lookup keys (docKeyHash). */
  readonly #hashBase: number;
  /** Pushes not merged yet (some wait for a document that is being written). */
  #waiting: Pending[] = [];
  /** Merged pushes for the next group. */
  #planned: Planned[] = [];
  /** The group the writer is committing. */
  #inFlight: Planned[] | undefined;
  /** Documents (tenant, id) of planned and in-flight pushes. */
  readonly #busy = new Set<string>();
  #scheduled = false;
  /** Compaction steps waiting for the writer thread, and the one at it. */
  #maint: MaintJob[] = [];
  #maintInFlight: MaintJob | undefined;
  /** The last thing sent to the writer was a compaction step (steps alternate with groups). */
  #lastWasMaint = false;
  #epoch: string;
  readonly maintenance: StoreMaintenance;
  /**
   * Compaction steps run by the writer thread so far: how many, their total and longest time
   * there (ms). The longest step bounds what compaction added to any push's wait (benchmarks).
   */
  readonly maintenanceStats = { steps: 0, totalMs: 0, maxMs: 0 };
  #failure: Error | undefined;
  #idle: (() => void) | undefined;

  constructor(options: SqliteEngineOptions) {
    let file = options.file;
    if (file === ':memory:') {
      // The writer thread needs a second connection, which an in-memory database cannot have.
      this.#tempDir = mkdtempSync(join(tmpdir(), 'fieldsync-sqlite-'));
      file = join(this.#tempDir, 'db.sqlite');
    } else {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch (e) {
        throw new Error(`cannot create data directory ${resolve(dirname(file))}: ${describeFsError(e)}`);
      }
    }
    try {
      this.#db = new Database(file);
      this.#db.pragma('journal_mode = WAL');
    } catch (e) {
      throw new Error(`cannot open SQLite database ${resolve(file)}: ${describeFsError(e)}`);
    }
    this.#db.pragma('busy_timeout = 5000');
    const layout = openLayout(this.#db);
    this.#hashBase = layout.hashBase;
    this.#epoch = layout.epoch;
    this.#stmt = {
      // One read per push for all its documents (by lookup key; a colliding key may bring another
      // document, which the caller drops) and one for all its change ids (JSON array parameters).
      getDocs: this.#db.prepare(
        'SELECT rowid, id, type, seq, deleted, state, view FROM docs INDEXED BY docs_h WHERE h IN (SELECT value FROM json_each(?)) AND tenant = ?',
      ),
      knownChanges: this.#db.prepare(
        'SELECT id, hash FROM changes WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))',
      ),
      owners: this.#db.prepare(
        'SELECT replica, owner FROM replicas WHERE tenant = ? AND replica IN (SELECT value FROM json_each(?))',
      ),
      tenant: this.#db.prepare('SELECT seq, compacted, swept FROM tenants WHERE tenant = ?'),
      ping: this.#db.prepare("SELECT value FROM meta WHERE key = 'layout'"),
    };
    this.maintenance = this.#maintenance();
    const background = options.backgroundCheckpoints !== false;
    const synchronous = options.synchronous ?? 'FULL';
    this.#writer = new WriterThread(
      { file, synchronous, autoCheckpoint: !background },
      {
        message: (m) => this.#onWriter(m),
        error: (e) => this.#fail(e),
        exit: () => this.#fail(new Error('the SQLite writer thread exited')),
      },
    );
    // The worker checkpoints instead; if it cannot, SQLite's own automatic checkpoint comes back on.
    const autoCheckpoint = (): void => this.#writer.send({ type: 'autoCheckpoint' });
    this.#checkpointer = background ? startCheckpointer(file, autoCheckpoint) : undefined;
    if (background && !this.#checkpointer) autoCheckpoint();
  }

  async init(): Promise<void> {}

  /**
   * Group commit: a push is merged at once and goes to the writer at once if it is idle; pushes
   * merged while the writer commits form the next group (one transaction, one WAL sync, a
   * savepoint each). Each push gets its own contiguous sequence range and is answered only after
   * the shared COMMIT returned.
   */
  commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      this.#waiting.push({ req, plan, resolve, reject, conflicts: 0 });
      this.#pump();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Merges every waiting push whose documents are not being written, then feeds the writer. */
  #pump(): void {
    const waiting = this.#waiting;
    this.#waiting = []; // (a plan that commits again re-enters here; nothing is lost either way)
    for (const p of waiting) {
      if (p.req.docIds.some((id) => this.#busy.has(key(p.req.tenant, id)))) this.#waiting.push(p);
      else this.#plan(p);
    }
    this.#send();
    this.#checkIdle();
  }

  #plan(p: Pending): void {
    const { tenant, changeIds, docIds, replicas = [] } = p.req;
    let out: CommitPlan;
    // rowid and sequence of each stored document as read: what the writer checks before writing.
    const read = new Map<string, [rowid: number, seq: number]>();
    const hashes = new Map<string, number>();
    try {
      if (this.#failure) throw this.#failure;
      const known = new Set<string>();
      const contentHashes = new Map<string, string>();
      if (changeIds.length > 0)
        for (const r of this.#stmt.knownChanges.all(tenant, JSON.stringify(changeIds))) {
          known.add(r.id);
          if (r.hash !== null) contentHashes.set(r.id, r.hash);
        }
      const owners = new Map<string, string>();
      if (replicas.length > 0)
        for (const r of this.#stmt.owners.all(tenant, JSON.stringify(replicas)))
          owners.set(r.replica, r.owner);
      const docs = new Map<string, StoredDoc>();
      if (docIds.length > 0) {
        for (const id of docIds) hashes.set(id, docKeyHash(this.#hashBase, tenant, id));
        for (const r of this.#stmt.getDocs.all(JSON.stringify([...hashes.values()]), tenant)) {
          if (!hashes.has(r.id)) continue;
          docs.set(r.id, toDoc(r));
          read.set(r.id, [r.rowid, r.seq]);
        }
      }
      out = p.plan({ known, hashes: contentHashes, owners, docs });
      // The writer verifies exactly what was read here, so a plan may only write what it asked for.
      const askedDocs = new Set(docIds);
      const askedChanges = new Set(changeIds);
      for (const d of out.docs)
        if (!askedDocs.has(d.id))
          throw new Error(`plan wrote document "${d.id}" that was not in the request`);
      for (const c of out.changes) {
        if (!askedChanges.has(c.id) || known.has(c.id))
          throw new Error(`plan wrote change "${c.id}" that was not requested or is already stored`);
      }
      const askedReplicas = new Set(replicas);
      for (const b of out.bind ?? [])
        if (!askedReplicas.has(b.replica) || owners.has(b.replica))
          throw new Error(`plan bound replica "${b.replica}" that was not requested or is already bound`);
      if (out.docs.length === 0) {
        p.resolve({ docs: [], cursor: this.#stmt.tenant.get(tenant)?.seq ?? 0 });
        return;
      }
    } catch (e) {
      p.reject(e);
      return;
    }
    const docs: WritePush['docs'] = [];
    const keys: string[] = [];
    for (const d of out.docs) {
      const [rowid, seq] = read.get(d.id) ?? [0, 0];
      docs.push(
        rowid,
        seq,
        d.id,
        hashes.get(d.id) ?? docKeyHash(this.#hashBase, tenant, d.id),
        d.type,
        d.deleted ? 1 : 0,
        d.state,
        d.view,
      );
      keys.push(key(tenant, d.id));
    }
    const changes: string[] = [];
    for (const c of out.changes) changes.push(c.id, c.doc, c.hash ?? '');
    const binds: string[] = [];
    for (const b of out.bind ?? []) binds.push(b.replica, b.user);
    for (const k of keys) this.#busy.add(k);
    this.#planned.push({ p, docs: out.docs, write: { tenant, docs, changes, binds }, keys });
  }

  #send(): void {
    if (this.#inFlight || this.#maintInFlight) return;
    // Compaction steps alternate with groups of pushes: a push waits for at most one short step.
    const job = this.#maint[0];
    if (job && (this.#planned.length === 0 || !this.#lastWasMaint)) {
      this.#maint.shift();
      this.#maintInFlight = job;
      this.#lastWasMaint = true;
      this.#writer.ref();
      this.#writer.send({ type: 'maint', op: job.op });
      return;
    }
    if (this.#planned.length === 0) return;
    this.#lastWasMaint = false;
    let n = 0;
    let take = 0;
    while (
      take < this.#planned.length &&
      (take === 0 || n + this.#planned[take]!.docs.length <= MAX_GROUP_DOCS)
    )
      n += this.#planned[take++]!.docs.length;
    this.#inFlight = this.#planned.slice(0, take);
    this.#planned = this.#planned.slice(take);
    this.#writer.ref(); // pending acknowledgements keep the process alive; an idle engine does not
    this.#writer.send({ type: 'write', pushes: this.#inFlight.map((g) => g.write) });
  }

  #onWriter(m: WriterMessage): void {
    switch (m.type) {
      case 'written':
        return this.#written(m.result);
      case 'fatal':
        return this.#fail(new Error(`the SQLite writer thread could not start: ${m.error}`));
      case 'maint':
      case 'maintError': {
        const job = this.#maintInFlight;
        this.#maintInFlight = undefined;
        if (m.type === 'maint') {
          const s = this.maintenanceStats;
          s.steps++;
          s.totalMs += m.ms;
          s.maxMs = Math.max(s.maxMs, m.ms);
          job?.resolve(m.rows);
        } else job?.reject(new Error(`compaction step failed: ${m.error}`));
        this.#send();
        if (this.#waiting.length > 0) this.#schedule();
        this.#checkIdle();
        return;
      }
    }
  }

  /** A group committed (or failed as a whole: nothing stored). */
  #written(m: GroupResult): void {
    const group = this.#inFlight ?? [];
    this.#inFlight = undefined;
    // The next group (merged meanwhile) goes out first: the writer is never idle needlessly.
    for (const g of group) for (const k of g.keys) this.#busy.delete(k);
    const retry: Pending[] = [];
    group.forEach((g, i) => {
      const o: WriteOutcome | undefined =
        'groupError' in m ? { error: m.groupError, ...(m.code ? { code: m.code } : {}) } : m.outcomes[i];
      if (o && 'to' in o) this.#committed(g, o.to);
      else if (o && 'conflict' in o) {
        if (++g.p.conflicts >= MAX_CONFLICTS)
          g.p.reject(
            new Error(
              'the documents kept changing under this push (another process writes the same database); retry later',
            ),
          );
        else retry.push(g.p);
      } else
        g.p.reject(
          Object.assign(
            new Error(o?.error ?? 'the SQLite writer returned no outcome'),
            o?.code ? { code: o.code } : {},
          ),
        );
    });
    this.#send();
    this.#waiting.unshift(...retry);
    if (this.#waiting.length > 0) this.#schedule();
    this.#checkIdle();
  }

  #committed(g: Planned, to: number): void {
    const n = g.docs.length;
    const base = to - n;
    const written: StoredDoc[] = new Array(n);
    for (let i = 0; i < n; i++) written[i] = { ...g.docs[i]!, seq: base + i + 1 };
    const batch: CommittedBatch = { tenant: g.write.tenant, from: base + 1, to, docs: written };
    for (const l of this.#listeners) l(batch);
    g.p.resolve({ docs: written, cursor: to });
  }

  #fail(e: unknown): void {
    if (this.#failure) return;
    this.#failure = e instanceof Error ? e : new Error(String(e));
    console.error('[fieldsync] SQLite storage stopped; every write is refused from now on', this.#failure);
    for (const g of [...(this.#inFlight ?? []), ...this.#planned]) g.p.reject(this.#failure);
    for (const p of this.#waiting) p.reject(this.#failure);
    for (const j of [...(this.#maintInFlight ? [this.#maintInFlight] : []), ...this.#maint])
      j.reject(this.#failure);
    this.#maint = [];
    this.#maintInFlight = undefined;
    this.#inFlight = undefined;
    this.#planned = [];
    this.#waiting = [];
    this.#busy.clear();
    this.#checkIdle();
  }

  #busyWriting(): boolean {
    return (
      this.#inFlight !== undefined ||
      this.#maintInFlight !== undefined ||
      this.#planned.length > 0 ||
      this.#waiting.length > 0 ||
      this.#maint.length > 0
    );
  }

  #checkIdle(): void {
    if (this.#busyWriting()) return;
    this.#writer.unref();
    this.#idle?.();
    this.#idle = undefined;
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
    // Iterated, not `.all()`: rows past the byte budget are never read into memory.
    const docs: StoredDoc[] = [];
    let bytes = 0;
    let more = false;
    for (const row of this.#db.prepare<unknown[], DocRow>(sql).iterate(...params)) {
      if (docs.length === q.limit) {
        more = true;
        break;
      }
      if (q.maxBytes !== undefined) {
        bytes += Buffer.byteLength(row.state) + Buffer.byteLength(row.view);
        if (docs.length > 0 && bytes > q.maxBytes) {
          more = true;
          break;
        }
      }
      docs.push(toDoc(row));
    }
    const last = docs[docs.length - 1];
    return { docs, cursor: last ? last.seq : q.since, more };
  }

  async getDoc(tenant: string, id: string): Promise<StoredDoc | undefined> {
    for (const r of this.#stmt.getDocs.all(JSON.stringify([docKeyHash(this.#hashBase, tenant, id)]), tenant))
      if (r.id === id) return toDoc(r);
    return undefined;
  }

  async tenantHead(tenant: string): Promise<number> {
    return this.#stmt.tenant.get(tenant)?.seq ?? 0;
  }

  async ping(): Promise<void> {
    this.#stmt.ping.get();
  }

  epoch(): string {
    return this.#epoch;
  }

  /** Queues one compaction step for the writer thread. */
  #step(op: MaintenanceOp): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      this.#maint.push({ op, resolve, reject });
      this.#send();
    });
  }

  #maintenance(): StoreMaintenance {
    const headAt = this.#db.prepare<[string, number], { head: number | null }>(
      'SELECT max(head) AS head FROM tenant_marks WHERE tenant = ? AND at <= ?',
    );
    const tenants = this.#db.prepare<[], string>('SELECT tenant FROM tenants').pluck();
    return {
      mark: async (now) => void (await this.#step({ op: 'mark', now })),
      headAt: async (tenant, time) => headAt.get(tenant, time)?.head ?? 0,
      pruneMarks: async (time) => void (await this.#step({ op: 'pruneMarks', time })),
      compacted: async (tenant) => this.#stmt.tenant.get(tenant)?.compacted ?? 0,
      setCompacted: async (tenant, upTo) =>
        void (await this.#step({ op: 'raise', key: 'compacted', tenant, upTo })),
      swept: async (tenant) => this.#stmt.tenant.get(tenant)?.swept ?? 0,
      setSwept: async (tenant, upTo) => void (await this.#step({ op: 'raise', key: 'swept', tenant, upTo })),
      deleteChanges: (tenant, below, limit) => this.#step({ op: 'deleteChanges', tenant, below, limit }),
      deleteTombstones: (tenant, upTo, limit) => this.#step({ op: 'deleteTombstones', tenant, upTo, limit }),
      tenants: async () => tenants.all(),
      rewrite: (tenant, rows) => {
        const flat: Array<string | number> = [];
        for (const r of rows) flat.push(docKeyHash(this.#hashBase, tenant, r.id), r.id, r.seq, r.state);
        return this.#step({ op: 'rewrite', tenant, rows: flat });
      },
      resetEpoch: async () => {
        const epoch = newEpoch();
        await this.#step({ op: 'epoch', epoch });
        this.#epoch = epoch;
        return epoch;
      },
    };
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Answers every queued push (after its commit), then stops the threads and closes the file. */
  async close(): Promise<void> {
    if (this.#busyWriting()) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
        this.#checkIdle();
      });
    }
    this.#listeners.clear();
    const failed = this.#failure;
    this.#failure ??= new Error('the database is closed');
    if (!failed) await this.#writer.stop();
    else await this.#writer.terminate();
    if (this.#checkpointer) await stopWorker(this.#checkpointer, { type: 'close' });
    if (this.#db.open) this.#db.close();
    if (this.#tempDir) rmSync(this.#tempDir, { recursive: true, force: true });
  }
}
