interface LockManagerLike {
  request(
    name: string,
    options: { mode: 'exclusive'; signal: AbortSignal },
    callback: () => Promise<void>,
  ): Promise<unknown>;
}

const locks = (): LockManagerLike | undefined =>
  (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;

/**
 * Leader election between the tabs of one origin with the Web Locks API: every tab asks for the
 * same exclusive lock; the one holding it leads until it closes (or crashes: the browser releases
 * a dead tab's locks), then the next waiting tab is granted it. No heartbeats, no timeouts, and
 * never two leaders, which polling schemes over storage cannot promise.
 */
export class TabLeader {
  #leading = false;
  #release: (() => void) | undefined;
  readonly #abort = new AbortController();

  /** True where the Web Locks API exists (browsers; not Node). */
  static get available(): boolean {
    return locks() !== undefined;
  }

  constructor(name: string, onLead: () => void) {
    const manager = locks();
    if (!manager) throw new Error('the Web Locks API (navigator.locks) is not available');
    manager
      .request(`fieldsync:leader:${name}`, { mode: 'exclusive', signal: this.#abort.signal }, () => {
        if (this.#abort.signal.aborted) return Promise.resolve();
        this.#leading = true;
        onLead();
        return new Promise<void>((resolve) => (this.#release = resolve));
      })
      .catch(() => undefined); // AbortError when closed while still waiting
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Gives up leadership (or stops waiting for it); the next tab in line takes over. */
  close(): void {
    this.#abort.abort();
    this.#leading = false;
    this.#release?.();
  }
}
