/**
 * Whether the server has a document's local changes (WatermelonDB's per-record `_status`, for a
 * CRDT store): every state is plain frozen data, and a document's state object keeps its
 * identity while it is unchanged, so a list renders only the rows whose state changed.
 */
export type SyncState = SyncedState | PendingState | RejectedState;

/** The server has stored every change this device made to the document (or it made none). */
export interface SyncedState {
  readonly status: 'synced';
}

/** Changes of this device wait to be stored by the server. */
export interface PendingState {
  readonly status: 'pending';
  /** How many changes wait. */
  readonly pending: number;
  /**
   * When the oldest waiting change was made (ms since the epoch, from its stamp). Its age is
   * `Date.now() - since`; a timestamp rather than an age, so the state stays the same object
   * while nothing changes and a UI decides how often to refresh "3 min ago".
   */
  readonly since: number;
}

/**
 * The server set a change of this document aside for good (issue 11: `db.rejectedChanges()`
 * has it, with `retry()` and `discard()`). Wins over pending: the user has to act.
 */
export interface RejectedState {
  readonly status: 'rejected';
  /** The server's reason for the oldest rejected change: `<code>: <message>`. */
  readonly reason: string;
  /** The code part of `reason` (`forbidden`, `invalid`, …). */
  readonly code: string;
  /** The oldest rejected change's id (the id in `db.rejectedChanges()`). */
  readonly changeId: string;
  /** How many changes of the document are set aside. */
  readonly rejected: number;
  /** How many other changes still wait (0 if none). */
  readonly pending: number;
}

/** The one `synced` state object (identity-stable for every synced document). */
export const SYNCED: SyncedState = Object.freeze({ status: 'synced' });

/** A document that is not synced, with its collection: an entry of `db.syncState.waiting()`. */
export interface WaitingDoc {
  readonly id: string;
  readonly collection: string;
  readonly state: PendingState | RejectedState;
}

/** The code of a reason `<code>: <message>` (the whole reason when it has no code). */
export function reasonCode(reason: string): string {
  const i = reason.indexOf(':');
  return i > 0 ? reason.slice(0, i) : reason;
}
