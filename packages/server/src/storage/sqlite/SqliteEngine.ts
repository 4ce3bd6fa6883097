import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describeFsError } from '../checkDataDir.js';
import { docBytes } from '../docBytes.js';
import type { Worker } from 'node:worker_threads';
import { startCheckpointer } from './sqliteCheckpointer.js';
import { stopWorker } from './stopWorker.js';
import { openLayout, toDoc, type DocRow } from './sqliteSchema.js';
import { PlanReads } from './sqlitePlanReads.js';
import { sqliteStoreMaintenance } from './sqliteStoreMaintenance.js';
import { SqliteWriteQueue } from './sqliteWriteQueue.js';
import { WriterThread } from './sqliteWriter.js';
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
 * Parts: `PlanReads` (the main thread's reads for a push), `SqliteWriteQueue` (the group commit and
 * compaction steps at the writer), `sqliteStoreMaintenance` (compaction as queued steps).
 *
 * Every group is written by the writer thread, even a lone small push while it is idle. Writing
 * such a push on the main thread instead (a third connection; removed) saved ~0.3 ms per push
 * with synchronous=NORMAL and nothing measurable with FULL or end to end (docs/benchmarks.md).
 */
export class SqliteEngine implements StorageEngine {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #listeners = new Set<(batch: CommittedBatch) => void>();
  readonly #reads: PlanReads;
  readonly #stmt: {
    tenant: Database.Statement<[string], { seq: number; compacted: number; swept: number }>;
    ping: Database.Statement<[], { value: number }>;
  };
  readonly #writer: WriterThread;
  readonly #queue: SqliteWriteQueue;
  readonly #checkpointer: Worker | undefined;
  readonly #tempDir: string | undefined;
  #epoch: string;
  readonly maintenance: StoreMaintenance;
  /**
   * Compaction steps run by the writer thread so far: how many, their total and longest time
   * there (ms). The longest step bounds what compaction added to any push's wait (benchmarks).
   */
  readonly maintenanceStats: { steps: number; totalMs: number; maxMs: number };

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
    this.#epoch = layout.epoch;
    this.#reads = new PlanReads(this.#db, layout.hashBase);
    this.#stmt = {
      tenant: this.#db.prepare('SELECT seq, compacted, swept FROM tenants WHERE tenant = ?'),
      ping: this.#db.prepare("SELECT value FROM meta WHERE key = 'layout'"),
    };
    const background = options.backgroundCheckpoints !== false;
    const synchronous = options.synchronous ?? 'FULL';
    this.#writer = new WriterThread(
      { file, synchronous, autoCheckpoint: !background },
      {
        message: (m) => this.#queue.received(m),
        error: (e) => this.#queue.fail(e),
        exit: () => this.#queue.fail(new Error('the SQLite writer thread exited')),
      },
    );
    this.#queue = new SqliteWriteQueue(this.#reads, this.#writer, {
      head: (tenant) => this.#stmt.tenant.get(tenant)?.seq ?? 0,
      committed: (batch) => {
        for (const l of this.#listeners) l(batch);
      },
    });
    this.maintenanceStats = this.#queue.maintenanceStats;
    this.maintenance = sqliteStoreMaintenance({
      db: this.#db,
      hashBase: layout.hashBase,
      step: (op) => this.#queue.step(op),
      tenant: (tenant) => this.#stmt.tenant.get(tenant),
      epochChanged: (epoch) => (this.#epoch = epoch),
    });
    // The worker checkpoints instead; if it cannot, SQLite's own automatic checkpoint comes back on.
    const autoCheckpoint = (): void => this.#writer.send({ type: 'autoCheckpoint' });
    this.#checkpointer = background ? startCheckpointer(file, autoCheckpoint) : undefined;
    if (background && !this.#checkpointer) autoCheckpoint();
  }

  async init(): Promise<void> {}

  /**
   * Group commit (SqliteWriteQueue): a push is merged at once and goes to the writer at once if it
   * is idle; pushes merged while the writer commits form the next group (one transaction, one WAL
   * sync, a savepoint each). Each push gets its own contiguous sequence range and is answered
   * only after the shared COMMIT returned.
   */
  commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    return this.#queue.commit(req, plan);
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
        bytes += docBytes(row.state, row.view);
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
    return this.#reads.getDoc(tenant, id);
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

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Answers every queued push (after its commit), then stops the threads and closes the file. */
  async close(): Promise<void> {
    await this.#queue.drained();
    this.#listeners.clear();
    const failed = this.#queue.close();
    if (!failed) await this.#writer.stop();
    else await this.#writer.terminate();
    if (this.#checkpointer) await stopWorker(this.#checkpointer, { type: 'close' });
    if (this.#db.open) this.#db.close();
    if (this.#tempDir) rmSync(this.#tempDir, { recursive: true, force: true });
  }
}
