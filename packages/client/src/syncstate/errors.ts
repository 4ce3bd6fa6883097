import { FieldsyncError } from '@fieldsync/core';
import { reasonCode } from './SyncState.js';

/**
 * The server set a change of this write aside for good (it is in `db.rejectedChanges()`, where
 * the app can `retry()` or `discard()` it): what a write's `server` promise and
 * `db.syncState.whenSynced` reject with.
 */
export class RejectedWriteError extends FieldsyncError {
  /** The server's error code (`forbidden`, `invalid`, …), the part of `reason` before `:`. */
  readonly serverCode: string;
  constructor(
    readonly changeId: string,
    readonly docId: string,
    readonly collection: string,
    /** The server's reason, `<code>: <message>` (as in `db.rejectedChanges()`). */
    readonly reason: string,
  ) {
    super('rejected', `${collection}/${docId}: the server refused change ${changeId}: ${reason}`);
    this.name = 'RejectedWriteError';
    this.serverCode = reasonCode(reason);
  }
}

/**
 * A change of this write was dropped on this device before the server stored it (the app
 * discarded it, e.g. `db.discardLocalType`), so the server will never acknowledge it.
 */
export class DiscardedWriteError extends FieldsyncError {
  constructor(
    readonly changeId: string,
    readonly docId: string,
  ) {
    super('discarded', `change ${changeId} of ${docId} was discarded before the server stored it`);
    this.name = 'DiscardedWriteError';
  }
}
