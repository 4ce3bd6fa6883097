import { Worker, type MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import {
  sqliteGroupWrite,
  type GroupResult,
  type GroupWriteOptions,
  type WritePush,
} from './sqliteGroupWrite.js';
import { sqliteMaintenance, type MaintenanceOp } from './sqliteMaintenance.js';

/**
 * Writer thread → main: one message per group, outcomes in the group's order; one per
 * maintenance step (`maint`: rows changed, or `maintError`); `fatal` if it cannot run.
 */
export type WriterMessage =
  GroupResult | { maint: number; ms: number } | { maintError: string } | { fatal: string };

export interface WriterOptions {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  /** False when a checkpoint thread copies the WAL back (SQLite's own checkpoints are then off). */
  autoCheckpoint: boolean;
}

/**
 * The writer thread's whole program: its own connection, and each message one group written by
 * `sqliteGroupWrite` (passed in, because both are shipped to the worker as source text — the same
 * type-checked code runs from `dist/` and under the test runner's TypeScript transform — so this
 * body must not reference anything outside it). It waits up to 5 s for another process's write
 * lock: blocking here blocks no request.
 */
export function sqliteWriterMain(
  Db: typeof Database,
  o: WriterOptions,
  port: MessagePort,
  groupWrite: (db: Database.Database, o: GroupWriteOptions) => (pushes: WritePush[]) => GroupResult,
  maintenance: (db: Database.Database) => (m: MaintenanceOp) => number,
): void {
  const db = new Db(o.file);
  const write = groupWrite(db, {
    synchronous: o.synchronous,
    autoCheckpoint: o.autoCheckpoint,
    busyTimeoutMs: 5000,
  });
  const maintain = maintenance(db);
  port.on('message', (m: { pushes: WritePush[] } | { maint: MaintenanceOp } | 'close' | 'autocheckpoint') => {
    if (m === 'close') {
      db.close();
      port.close();
      return;
    }
    if (m === 'autocheckpoint') {
      db.pragma('wal_autocheckpoint = 1000'); // the checkpoint thread failed: SQLite's own, then
      return;
    }
    if ('maint' in m) {
      try {
        const t = performance.now();
        const n = maintain(m.maint);
        port.postMessage({ maint: n, ms: performance.now() - t });
      } catch (e) {
        port.postMessage({ maintError: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    port.postMessage(write(m.pushes));
  });
}

/** Starts the writer thread on `file` (whose schema must already exist). */
export function startWriter(o: WriterOptions): Worker {
  const source = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  const Database = require('node:module').createRequire(workerData.from)('better-sqlite3');
  (${sqliteWriterMain.toString()})(Database, workerData.options, parentPort, (${sqliteGroupWrite.toString()}), (${sqliteMaintenance.toString()}));
} catch (e) {
  parentPort.postMessage({ fatal: String(e && e.stack || e) });
}`;
  return new Worker(source, { eval: true, workerData: { from: import.meta.url, options: o } });
}
