import { SyncClient } from '../sync/SyncClient.js';
import type { SyncOptions } from '../sync/SyncOptions.js';
import type { SyncHost } from '../sync/SyncHost.js';
import type { SyncStatus } from '../sync/SyncStatus.js';

/** How a tab's sync client learns about leadership and talks to the leader's. */
export interface TabSyncPort {
  leading(): boolean;
  /** Tells the other tabs the leader's status. */
  postStatus(status: SyncStatus): void;
  /** Asks the leader to flush (follower). */
  forwardFlush(): Promise<void>;
}

/**
 * The sync client of a tab that shares its database with other tabs. Only the leader tab really
 * syncs (one connection per device); in a follower `start()` only records the wish, `status` and
 * `subscribe` report the leader's status (so every tab shows "3 changes waiting, live"), and
 * `flush()` asks the leader. When the tab becomes the leader (`lead()`), it starts for real.
 */
export class TabSyncClient extends SyncClient {
  readonly #port: TabSyncPort;
  readonly #fns = new Set<(s: SyncStatus) => void>();
  #wanted = false;
  #remote: SyncStatus | undefined;

  constructor(host: SyncHost, options: SyncOptions, port: TabSyncPort) {
    super(host, options);
    this.#port = port;
    super.subscribe((s) => {
      if (!this.#port.leading()) return;
      this.#port.postStatus(s);
      this.#emit(s);
    });
  }

  override get status(): SyncStatus {
    return this.#port.leading() || !this.#remote ? super.status : { ...this.#remote };
  }

  override subscribe(fn: (s: SyncStatus) => void): () => void {
    this.#fns.add(fn);
    fn(this.status);
    return () => this.#fns.delete(fn);
  }

  override start(): void {
    this.#wanted = true;
    if (this.#port.leading()) super.start();
  }

  override async stop(): Promise<void> {
    this.#wanted = false;
    await super.stop();
  }

  override flush(): Promise<void> {
    return this.#port.leading() ? super.flush() : this.#port.forwardFlush();
  }

  /** This tab became the leader: sync for real if started, and show our own status. */
  lead(): void {
    if (this.#wanted) super.start();
    this.#emit(super.status);
  }

  /** The leader's status (follower). */
  mirror(status: SyncStatus): void {
    if (this.#port.leading()) return;
    this.#remote = status;
    this.#emit(this.status);
  }

  /** Leader: re-announce the status (a new follower asked). */
  announce(): void {
    if (this.#port.leading()) this.#port.postStatus(super.status);
  }

  #emit(s: SyncStatus): void {
    for (const fn of this.#fns) fn(s);
  }
}
