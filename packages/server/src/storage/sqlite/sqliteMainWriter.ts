import Database from 'better-sqlite3';
import { sqliteGroupWrite, type GroupResult, type WritePush } from './sqliteGroupWrite.js';

/**
 * A group of at most this many documents may be written on the main thread. Why: handing it to
 * the writer thread costs a thread wake-up on each side (milliseconds when the cores are busy),
 * more than writing it here; a larger group is worth the hand-over, because the main thread
 * merges the next pushes while the writer thread commits.
 */
const MAX_DOCS = 64;
/**
 * ...and only if no group committed during the last QUIET_FACTOR × (recent main-thread write
 * time). Why: a main-thread write blocks the event loop for its whole commit (with FULL, the
 * fsync), so pushes arriving meanwhile cannot join it and each would pay a commit of its own —
 * measured with 32 clients pushing one change each: −30% pushes/s. When commits follow each
 * other closely, pushes go to the writer thread, where those merged during a commit share the
 * next one; an isolated push (the interactive case) is written at once.
 */
const QUIET_FACTOR = 4;

/**
 * The SQLite engine's main-thread write path: a connection of its own running the same group
 * write as the writer thread (sqliteGroupWrite — same transaction, savepoints, checks and
 * synchronous setting), and the rule deciding when to use it. The engine calls `write` only
 * while no group is at the writer thread, so within a process the two never write at once.
 * This connection never waits for a lock (busy_timeout 0): while another process writes, BEGIN
 * fails at once with SQLITE_BUSY, nothing is stored, and the engine hands the group to the
 * writer thread, which may wait without blocking requests.
 */
export class SqliteMainWriter {
  readonly #db: Database.Database;
  readonly #write: (pushes: WritePush[]) => GroupResult;
  /** When the last group committed (either thread), `performance.now()`. */
  #lastCommitAt = -Infinity;
  /** Recent duration of a main-thread group write, ms (moving average). */
  #writeMs = 0;

  constructor(file: string, o: { synchronous: 'FULL' | 'NORMAL'; autoCheckpoint: boolean }) {
    this.#db = new Database(file);
    this.#write = sqliteGroupWrite(this.#db, { ...o, busyTimeoutMs: 0 });
  }

  /** Whether a group of `docs` documents should be written here now (the writer thread is idle). */
  wants(docs: number): boolean {
    return docs <= MAX_DOCS && performance.now() - this.#lastCommitAt >= QUIET_FACTOR * this.#writeMs;
  }

  /** Writes one group; undefined if another connection holds the write lock (nothing stored). */
  write(pushes: WritePush[]): GroupResult | undefined {
    const start = performance.now();
    const r = this.#write(pushes);
    this.#writeMs += (performance.now() - start - this.#writeMs) / 4;
    return 'groupError' in r && r.code?.startsWith('SQLITE_BUSY') ? undefined : r;
  }

  /** A group committed (or failed) on either thread. */
  committed(): void {
    this.#lastCommitAt = performance.now();
  }

  /** The checkpoint thread failed: SQLite's own automatic checkpoints, here too. */
  autoCheckpoint(): void {
    if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
