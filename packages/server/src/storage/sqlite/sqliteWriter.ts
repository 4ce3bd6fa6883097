import { Worker } from 'node:worker_threads';
import { stopWorker } from './stopWorker.js';
import type { WriterMessage, WriterOptions, WriterRequest } from './sqliteWriterProtocol.js';

/** What the engine hears from its writer thread. */
export interface WriterListener {
  message(m: WriterMessage): void;
  /** The thread threw (uncaught): it writes nothing more. */
  error(e: Error): void;
  /** The thread ended without being stopped. */
  exit(): void;
}

/**
 * The SQLite writer thread as the engine sees it: typed requests in, typed messages out (the
 * protocol is sqliteWriterProtocol.ts, the thread's program sqliteWriterWorker.ts).
 *
 * Why a module and not source text: the thread's program is an ordinary module of this package,
 * type-checked and linted with it, loaded by URL from beside this file — in `dist/` when built.
 * Under vitest, which runs `src/` and does not transform a worker's modules, a preload
 * (scripts/vitest/registerWorkerTs.mjs) resolves the `.js` name to the `.ts` source.
 */
export class WriterThread {
  readonly #worker: Worker;
  readonly #on: WriterListener;

  /** Starts the thread on `o.file`, whose schema must already exist. */
  constructor(o: WriterOptions, on: WriterListener) {
    this.#on = on;
    this.#worker = new Worker(new URL('./sqliteWriterWorker.js', import.meta.url), { workerData: o });
    this.#worker.on('message', (m: WriterMessage) => on.message(m));
    this.#worker.on('error', (e) => on.error(e));
    this.#worker.on('exit', this.#exited);
    this.#worker.unref();
  }

  readonly #exited = (): void => this.#on.exit();

  send(m: WriterRequest): void {
    this.#worker.postMessage(m);
  }

  /** While work is pending the thread keeps the process alive; an idle writer does not. */
  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }

  /** Closes the connection and ends the thread (ended by force after 5 s). */
  async stop(): Promise<void> {
    this.#worker.off('exit', this.#exited);
    await stopWorker(this.#worker, { type: 'close' } satisfies WriterRequest);
  }

  /** Ends the thread at once (after a failure: nothing is waiting for it). */
  async terminate(): Promise<void> {
    this.#worker.off('exit', this.#exited);
    await this.#worker.terminate();
  }
}
