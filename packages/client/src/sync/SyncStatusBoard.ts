import { ProtocolError } from '@fieldsync/core';
import type { SyncOutbox } from './SyncHost.js';
import { initialStatus, type SyncStatus } from './SyncStatus.js';
import { SyncHttpError } from './syncErrors.js';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** What kind of failure `e` is, for `status.lastErrorKind`. */
const kindOf = (e: unknown): SyncStatus['lastErrorKind'] =>
  e instanceof SyncHttpError ? 'http' : e instanceof ProtocolError ? 'protocol' : 'network';

/**
 * The sync client's status and its subscribers. Every part of the client reports here; a
 * subscriber hears only real changes (a patch that changes nothing notifies nobody).
 */
export class SyncStatusBoard {
  #status: SyncStatus = initialStatus();
  readonly #listeners = new Set<(s: SyncStatus) => void>();

  /** A snapshot of the current status. */
  get status(): SyncStatus {
    return { ...this.#status };
  }

  /** Whether sync is started (read on every turn of the loops). */
  get running(): boolean {
    return this.#status.running;
  }

  /** Calls `fn` now and on every status change; returns the unsubscribe function. */
  subscribe(fn: (s: SyncStatus) => void): () => void {
    this.#listeners.add(fn);
    fn(this.status);
    return () => this.#listeners.delete(fn);
  }

  set(patch: Partial<SyncStatus>): void {
    let changed = false;
    for (const k of Object.keys(patch) as Array<keyof SyncStatus>) {
      if (this.#status[k] !== patch[k]) changed = true;
    }
    if (!changed) return;
    this.#status = { ...this.#status, ...patch };
    const s = this.status;
    for (const l of this.#listeners) l(s);
  }

  /** Refreshes `pending` and `rejected` from the outbox (what is really queued and set aside). */
  async count(outbox: SyncOutbox): Promise<void> {
    const pending = await outbox.count();
    const rejected = (await outbox.rejectedCount?.()) ?? this.#status.rejected;
    this.set({ pending, rejected });
  }

  /**
   * Reports a failed sync step. A network failure also means offline; an HTTP error or a
   * malformed answer (`ProtocolError`) came from a server that did answer.
   */
  fail(e: unknown): void {
    const lastErrorKind = kindOf(e);
    const network = lastErrorKind === 'network';
    this.set({
      lastError: lastErrorKind === 'protocol' ? `protocol: ${messageOf(e)}` : messageOf(e),
      lastErrorKind,
      live: false,
      pushing: false,
      pulling: false,
      ...(network ? { online: false } : {}),
    });
  }
}
