import type { Worker } from 'node:worker_threads';

/**
 * Asks a worker thread to finish (`message`: its protocol's close request) and waits for it to
 * exit, at most 5 s; then it is terminated. Why the grace period: the SQLite threads checkpoint
 * and close their connection on the way out, which leaves no WAL behind; a thread stuck on a
 * lock must still not hold up a shutdown.
 */
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
