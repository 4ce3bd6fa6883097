import { Worker } from 'node:worker_threads';

/** How often the thread checkpoints (PASSIVE: never blocks writers or readers). */
const CHECKPOINT_INTERVAL_MS = 250;

/** What the checkpoint thread is started with (its `workerData`). */
export interface CheckpointerOptions {
  file: string;
  intervalMs: number;
}
/** Main thread → checkpoint thread: a last checkpoint, then close and end. */
export type CheckpointerRequest = { type: 'close' };
/** Checkpoint thread → main thread: it could not open the file and ended. */
export type CheckpointerMessage = { type: 'failed'; error: string };

/**
 * Copies the WAL back into the database file from a worker thread (sqliteCheckpointWorker.ts,
 * loaded like the writer's, see sqliteWriter.ts). Why: SQLite's automatic checkpoint runs inside
 * the commit that crosses 1,000 WAL pages, in the writing thread, and with random document ids
 * it rewrites the same index pages again and again; measured here it took ~40% of the write
 * path. `onFailure` is called if the thread cannot checkpoint (the engine then turns SQLite's own
 * checkpoints back on); undefined if no thread could be started.
 */
export function startCheckpointer(file: string, onFailure: () => void): Worker | undefined {
  try {
    const w = new Worker(new URL('./sqliteCheckpointWorker.js', import.meta.url), {
      workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS } satisfies CheckpointerOptions,
    });
    w.on('error', (e) => {
      console.error('[fieldsync] SQLite checkpoint worker failed', e);
      onFailure();
    });
    w.once('message', (m: CheckpointerMessage) => {
      console.error(`[fieldsync] SQLite checkpoint worker cannot checkpoint: ${m.error}`);
      onFailure();
    });
    w.unref();
    return w;
  } catch {
    return undefined;
  }
}
