import { Worker } from 'node:worker_threads';

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

/**
 * Copies the WAL back into the database file from a worker thread. Why: SQLite's automatic
 * checkpoint runs inside the commit that crosses 1,000 WAL pages, in the writing thread, and with
 * random document ids it rewrites the same index pages again and again; measured here it took
 * ~40% of the write path. `onFailure` is called if the thread cannot checkpoint (the engine then
 * turns SQLite's own checkpoints back on); undefined if no thread could be started.
 */
export function startCheckpointer(file: string, onFailure: () => void): Worker | undefined {
  try {
    const w = new Worker(CHECKPOINT_WORKER, {
      eval: true,
      workerData: { file, from: import.meta.url, interval: CHECKPOINT_INTERVAL_MS },
    });
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

/** Asks a worker to finish (final checkpoint, close) and waits for it, at most 5 s. */
export function stopWorker(w: Worker, message: unknown): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => void w.terminate().then(() => resolve()), 5000);
    w.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    w.postMessage(message);
  });
}
