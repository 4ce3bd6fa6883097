import Database from 'better-sqlite3';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { CheckpointerMessage, CheckpointerOptions, CheckpointerRequest } from './sqliteCheckpointer.js';

/**
 * The checkpoint thread's program (started by `startCheckpointer`): its own connection to the
 * same file, a PASSIVE checkpoint on a timer (never blocks writers or readers), a last one on
 * `close`.
 */
function run(port: MessagePort, o: CheckpointerOptions): void {
  let db: Database.Database;
  try {
    db = new Database(o.file);
    db.pragma('busy_timeout = 1000');
  } catch (e) {
    // Cannot checkpoint from here: the engine turns SQLite's own checkpoints back on.
    port.postMessage({ type: 'failed', error: String(e) } satisfies CheckpointerMessage);
    port.close();
    return;
  }
  const checkpoint = (): void => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy or interrupted: the next tick tries again
    }
  };
  const timer = setInterval(checkpoint, o.intervalMs);
  port.on('message', (m: CheckpointerRequest) => {
    if (m.type !== 'close') return;
    clearInterval(timer);
    checkpoint();
    db.close();
    port.close();
  });
}

if (!parentPort) throw new Error('sqliteCheckpointWorker runs only as a worker thread (startCheckpointer)');
run(parentPort, workerData as CheckpointerOptions);
