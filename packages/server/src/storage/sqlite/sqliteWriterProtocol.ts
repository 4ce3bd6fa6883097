import type { GroupResult, WritePush } from './sqliteGroupWrite.js';
import type { MaintenanceOp } from './sqliteMaintenance.js';

/** What the writer thread is started with (its `workerData`). */
export interface WriterOptions {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  /** False when a checkpoint thread copies the WAL back (SQLite's own checkpoints are then off). */
  autoCheckpoint: boolean;
}

/**
 * Main thread → writer thread. The writer answers `write` and `maint` with exactly one
 * `WriterMessage` each, in the order received; `autoCheckpoint` and `close` get no answer.
 */
export type WriterRequest =
  /** One group: one transaction, a savepoint per push. */
  | { type: 'write'; pushes: WritePush[] }
  /** One compaction step, between two groups. */
  | { type: 'maint'; op: MaintenanceOp }
  /** The checkpoint thread failed: turn SQLite's own automatic checkpoints back on. */
  | { type: 'autoCheckpoint' }
  /** Close the connection and end the thread. */
  | { type: 'close' };

/** Writer thread → main thread. */
export type WriterMessage =
  /** A group's outcome, one per push in the group's order (or `groupError`: nothing stored). */
  | { type: 'written'; result: GroupResult }
  /** A compaction step changed `rows` rows in `ms` milliseconds. */
  | { type: 'maint'; rows: number; ms: number }
  | { type: 'maintError'; error: string }
  /** The thread could not open its connection: it writes nothing. */
  | { type: 'fatal'; error: string };
