import type { SyncStateIndex } from './SyncStateIndex.js';
import type { SyncState, WaitingDoc } from './SyncState.js';

/**
 * Per-document sync state (`db.syncState`): whether the server has this device's changes of a
 * document — `synced`, `pending` (how many, since when) or `rejected` (the server's reason) —
 * live, across restarts (it is derived from the persisted outbox) and across tabs (a follower
 * tab mirrors the leader's outbox over the tab channel, so it shows the same states).
 *
 * Reading a state is a map lookup, so a list can show every row's state at almost no cost; the
 * states are kept by an index updated on every outbox event (queued, stored, set aside), never
 * by re-reading the outbox. See docs/client.md, "Sync state of each document".
 */
export class SyncStates {
  private readonly byDoc = new Map<string, Set<(s: SyncState) => void>>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly index: SyncStateIndex) {}

  /** The document's state now (the same frozen object while it does not change). */
  of(id: string): SyncState {
    return this.index.of(id);
  }

  /** Grows with every state change of any document: a cheap snapshot key for bindings. */
  get version(): number {
    return this.index.version;
  }

  /** How many documents are not synced (pending or rejected). */
  get count(): number {
    return this.index.size;
  }

  /** The documents that are not synced (rejected first, then oldest waiting first). */
  waiting(collection?: string): WaitingDoc[] {
    return this.index.waiting(collection);
  }

  /**
   * Calls `fn` once per tick after states changed, with the ids of the documents whose state
   * changed (a batch of acknowledgements is one call). Returns the unsubscribe function.
   */
  subscribe(fn: (docs: ReadonlySet<string>) => void): () => void {
    return this.index.subscribe(fn);
  }

  /** Calls `fn` with the document's state now and whenever it changes (once per change). */
  watch(id: string, fn: (state: SyncState) => void): () => void {
    let set = this.byDoc.get(id);
    if (set === undefined) this.byDoc.set(id, (set = new Set()));
    set.add(fn);
    this.unsubscribe ??= this.index.subscribe((docs) => {
      for (const doc of docs) {
        const fns = this.byDoc.get(doc);
        if (fns === undefined) continue;
        const state = this.index.of(doc);
        for (const f of [...fns]) f(state);
      }
    });
    fn(this.index.of(id));
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.byDoc.get(id) === set) this.byDoc.delete(id);
      if (this.byDoc.size === 0 && this.unsubscribe) {
        this.unsubscribe();
        this.unsubscribe = undefined;
      }
    };
  }

  /** Calls `fn` with `waiting(collection)` now and after every change of it. */
  watchWaiting(fn: (docs: readonly WaitingDoc[]) => void, collection?: string): () => void {
    fn(this.index.waiting(collection));
    return this.index.subscribe(() => fn(this.index.waiting(collection)));
  }

  /**
   * Resolves when the server has stored every change this device made to these documents so
   * far (at once if there is none); rejects with `RejectedWriteError` when one is set aside.
   * Works after a restart, where a write's `server` promise is gone.
   */
  whenSynced(ids: string | readonly string[]): Promise<void> {
    return this.index.ackOf(this.index.changesOf(typeof ids === 'string' ? [ids] : ids));
  }
}
