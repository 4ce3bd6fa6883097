import type { DocsResponse } from '@fieldsync/core';
import { Backoff } from './backoff.js';
import { SyncAbortedError } from './deadline.js';
import { EventStream } from './EventStream.js';
import { fetchDocs } from './fetchDocs.js';
import { later, type Cancel } from './later.js';
import { OutboxPush } from './OutboxPush.js';
import { PullLoop } from './PullLoop.js';
import { SerialSteps } from './serialSteps.js';
import type { SyncHost } from './SyncHost.js';
import type { SyncOptions } from './SyncOptions.js';
import { SyncPosition } from './SyncPosition.js';
import type { SyncStatus } from './SyncStatus.js';
import { SyncStatusBoard } from './SyncStatusBoard.js';
import { SyncHttpError, SyncNetworkError } from './syncErrors.js';
import { SyncTransport, type ServerInfo } from './SyncTransport.js';

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Abort reason of requests cut short because the network came back (retried at once). */
const RETRY_NOW = 'retry-now';

/**
 * Replicates a local database with a fieldsync server: pushes the outbox in batches, pulls
 * everything after the persisted cursor, then follows the server's event stream.
 *
 * Design rules from the field notes: a change the server refuses is set aside (never blocks the
 * queue behind it); every retry waits with exponential backoff and jitter; the cursor is
 * persisted only after the documents it covers were merged, so a restart resumes without holes.
 * Pull, push and event handling run one at a time (`SerialSteps`), so the cursor only ever moves
 * forward over data that was applied.
 *
 * Never wedged: every request has a deadline, the event stream has a watchdog (no byte for two
 * heartbeats = dead), `stop()` aborts whatever is in flight, and while the server is unreachable a
 * cheap health probe wakes the loop as soon as it answers. The status tells what is true:
 * `online` only once the server answered, `live`/`pushing`/`pulling` only while it is so.
 *
 * This class owns the session: start and stop, the loop (flush, then listen), retries, the
 * network's comings and goings. The steps are its parts: `OutboxPush`, `PullLoop`,
 * `EventStream`, over `SyncPosition` (cursor, epoch, resync) and `SyncStatusBoard`.
 */
export class SyncClient {
  readonly #host: SyncHost;
  readonly #o: SyncOptions;
  readonly #t: SyncTransport;
  readonly #backoff: Backoff;
  readonly #board = new SyncStatusBoard();
  readonly #position: SyncPosition;
  readonly #steps: SerialSteps;
  readonly #push: OutboxPush;
  readonly #pull: PullLoop;
  readonly #stream: EventStream;
  #session: Promise<void> | undefined;
  /** Aborted by `stop()`: cancels every request in flight (then replaced for the next start). */
  #life = new AbortController();
  #wake: (() => void) | undefined;
  #pushTimer: Cancel | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #unsubs: Array<() => void> = [];

  constructor(host: SyncHost, options: SyncOptions) {
    this.#host = host;
    this.#o = options;
    this.#t = new SyncTransport(options, (info) => this.#observe(info));
    this.#backoff = new Backoff(options);
    const board = this.#board;
    this.#position = new SyncPosition(host, this.#t, board, options.pullLimit, () => this.#stream.abort());
    this.#steps = new SerialSteps(this.#position.load());
    this.#push = new OutboxPush(host, this.#t, board, options.batchSize);
    this.#pull = new PullLoop(this.#t, this.#position, board, options.pullLimit);
    this.#stream = new EventStream(
      {
        t: this.#t,
        position: this.#position,
        board,
        backoff: this.#backoff,
        steps: this.#steps,
        life: () => this.#life.signal,
      },
      options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    // Keep `status.pending` current even while stopped ("3 changes waiting" while offline).
    this.#onOutboxChange(() => void board.count(host.outbox));
    void board.count(host.outbox);
  }

  /** Subscribes to local outbox changes, if the host's outbox reports them (else: undefined, poll). */
  #onOutboxChange(fn: () => void): (() => void) | undefined {
    return this.#host.outbox.onChange?.(fn);
  }

  /** A snapshot of the current status. */
  get status(): SyncStatus {
    return this.#board.status;
  }

  /** Calls `fn` now and on every status change; returns the unsubscribe function. */
  subscribe(fn: (s: SyncStatus) => void): () => void {
    return this.#board.subscribe(fn);
  }

  /** Every answer from the server: it is reachable; its clock corrects ours. */
  #observe(info: ServerInfo): void {
    this.#board.set({ online: true });
    if (info.time !== undefined) this.#host.serverTime?.(info.time, info.receivedAt - info.sentAt);
    this.#position.observe(info);
  }

  /**
   * The server's current state of these documents (`GET /v1/docs`), for the database to roll a
   * document back (discarding a rejected change). Rejects when the server cannot be reached.
   */
  fetchDocs(ids: readonly string[]): Promise<DocsResponse> {
    return fetchDocs(this.#t, ids, this.#o.pullLimit, this.#life.signal);
  }

  /** Starts background sync (idempotent). */
  start(): void {
    if (this.#board.running) return;
    this.#board.set({ running: true });
    const g = globalThis as {
      addEventListener?: (t: string, f: () => void) => void;
      removeEventListener?: (t: string, f: () => void) => void;
    };
    if (g.addEventListener && g.removeEventListener) {
      const on = (): void => this.#onOnline();
      const off = (): void => this.#onOffline();
      g.addEventListener('online', on);
      g.addEventListener('offline', off);
      this.#unsubs.push(() => {
        g.removeEventListener?.('online', on);
        g.removeEventListener?.('offline', off);
      });
    }
    const unsub = this.#onOutboxChange(() => this.#schedulePush());
    if (unsub) this.#unsubs.push(unsub);
    else this.#pollTimer = setInterval(() => this.#schedulePush(), this.#o.pollMs ?? 2000);
    // A type defined or migrated here is pushed at once, even before any record is written at it.
    const unsubTypes = this.#host.onLocalTypes?.(() => this.#schedulePush());
    if (unsubTypes) this.#unsubs.push(unsubTypes);
    this.#session = this.#run();
  }

  /**
   * Stops background sync. Requests in flight are aborted (their changes stay queued), so this
   * returns promptly whatever the network does. Local writes keep queuing.
   */
  async stop(): Promise<void> {
    this.#life.abort();
    this.#life = new AbortController();
    if (!this.#board.running) {
      await this.#steps.idle();
      return;
    }
    this.#board.set({ running: false, live: false });
    for (const u of this.#unsubs.splice(0)) u();
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pushTimer?.();
    this.#pollTimer = this.#pushTimer = undefined;
    this.#stream.abort();
    this.#wake?.();
    await this.#session;
    await this.#steps.idle();
  }

  /**
   * Pushes everything in the outbox, then pulls until up to date. Rejects if the server cannot
   * be reached within the request deadline (the changes stay queued), or with `SyncAbortedError`
   * if `stop()` is called meanwhile. Works whether or not background sync is started.
   */
  async flush(): Promise<void> {
    for (;;) {
      const signal = this.#life.signal;
      try {
        await this.#steps.run(async () => {
          await this.#push.pushAll(signal);
          await this.#pull.pullAll(signal);
        });
        break;
      } catch (e) {
        // Cut short by the network coming back (`online`): try again at once on fresh connections.
        if (!(e instanceof SyncAbortedError && signal.reason === RETRY_NOW)) throw e;
      }
    }
    this.#board.set({
      lastSyncedAt: Date.now(),
      lastError: undefined,
      lastErrorKind: undefined,
      online: true,
    });
  }

  async #run(): Promise<void> {
    while (this.#board.running) {
      try {
        await this.flush();
        if (!this.#board.running) break;
        if (this.#o.live === false) {
          await this.#sleep(this.#o.pollMs ?? 2000);
          continue;
        }
        await this.#stream.listen();
        // The stream ended without an error (server restart, proxy timeout): reconnect after a
        // pause — unless it was closed for a resync, which runs at once.
        if (this.#board.running && !this.#position.resyncDue) await this.#sleep(this.#backoff.next());
      } catch (e) {
        if (!this.#board.running) break;
        if (e instanceof SyncAbortedError) continue; // `online`: retry now
        if (e instanceof SyncHttpError && e.code === 'history_gone') {
          this.#position.needResync('replace');
          continue;
        }
        this.#board.fail(e);
        // Probe early only when the network failed: a server that answers garbage (or an error)
        // is reachable, and probing it would retry it every `probeMs` instead of backing off.
        await this.#pause(this.#backoff.next(), e instanceof SyncNetworkError);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  /**
   * Waits `ms` before the next attempt. After a network failure, also probes the server every
   * `probeMs` meanwhile and retries as soon as it answers: the backoff grows to 30 s, and Node
   * has no `online` event to cut it short.
   */
  async #pause(ms: number, probe: boolean): Promise<void> {
    const every = this.#o.probeMs ?? 3000;
    const sleeping = this.#sleep(ms);
    if (!probe || every <= 0 || ms <= every) return sleeping;
    let slept = false;
    void sleeping.then(() => (slept = true));
    const signal = this.#life.signal;
    void (async () => {
      while (!slept && this.#board.running) {
        await Promise.race([sleeping, new Promise((r) => setTimeout(r, every))]);
        if (slept || !this.#board.running) return;
        if (await this.#t.probe(this.#o.probeTimeoutMs ?? 2000, signal)) {
          this.#backoff.reset();
          this.#wake?.();
          return;
        }
      }
    })().catch(() => undefined);
    return sleeping;
  }

  /**
   * The browser says the network is back. Requests in flight were sent on the old network and
   * may hang on a dead socket until their deadline: abort them and retry at once.
   */
  #onOnline(): void {
    this.#backoff.reset();
    const old = this.#life;
    this.#life = new AbortController();
    old.abort(RETRY_NOW);
    this.#stream.abort();
    this.#wake?.();
  }

  #onOffline(): void {
    this.#board.set({ online: false, live: false });
    this.#stream.abort();
  }

  /** A local change: push soon (coalesces bursts of writes into one batch). */
  #schedulePush(delayMs = 0): void {
    if (!this.#board.running || this.#pushTimer) return;
    this.#pushTimer = later(() => {
      this.#pushTimer = undefined;
      const signal = this.#life.signal;
      this.#steps
        .run(() => this.#push.pushAll(signal))
        .then(
          () => this.#backoff.reset(),
          (e: unknown) => {
            if (!this.#board.running) return;
            if (e instanceof SyncAbortedError) return this.#schedulePush();
            this.#board.fail(e);
            this.#schedulePush(this.#backoff.next());
          },
        );
    }, delayMs);
  }
}
