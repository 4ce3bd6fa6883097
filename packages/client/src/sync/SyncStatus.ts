/** What the app shows about sync ("3 changes waiting", "offline", "last synced 2 min ago"). */
export interface SyncStatus {
  /** Sync is started (start() called, stop() not). */
  running: boolean;
  /**
   * The server answered the last request (any HTTP answer, errors included). False until it
   * first answers, and after a request failed on the network or timed out.
   */
  online: boolean;
  /** The realtime stream is connected and caught up. */
  live: boolean;
  pushing: boolean;
  pulling: boolean;
  /**
   * Re-pulling everything because the server's store was replaced or our cursor fell behind its
   * history horizon (docs/protocol.md, "Resync").
   */
  resyncing: boolean;
  /** Local changes not yet acknowledged by the server. */
  pending: number;
  /** Changes set aside (refused by the server for good), persisted: see `db.rejectedChanges()`. */
  rejected: number;
  /** Time (ms since epoch) the client was last fully up to date with the server. */
  lastSyncedAt: number | undefined;
  /** Last failure, e.g. "network: fetch failed" or "401 bad_token: invalid token: …". */
  lastError: string | undefined;
  /**
   * What kind of failure `lastError` is: `network` (no answer: offline, timeout), `http` (the
   * server answered with an error status) or `protocol` (it answered something that is not
   * protocol /v1: garbage JSON, a wrong shape — a `ProtocolError`, retried with backoff; nothing
   * of it was applied). Undefined when `lastError` is.
   */
  lastErrorKind: 'network' | 'http' | 'protocol' | undefined;
  /**
   * While pulling (a first sync of 100,000 documents takes seconds): how far it got, so an app
   * can show a progress bar instead of an empty list. Undefined when not pulling.
   */
  progress: SyncProgress | undefined;
}

/** How far a pull (catching up with the server) has got. */
export interface SyncProgress {
  /** Documents received (and stored) since this pull started. */
  docs: number;
  /** Pages received since this pull started. */
  pages: number;
  /**
   * Estimated fraction done, 0–1: the cursor's way from where this pull started to the server's
   * head (`Fieldsync-Head`, the tenant's latest sequence). An estimate: sequences count stored
   * versions, not documents, and the head moves on while others write. Undefined until the
   * server has told its head.
   */
  fraction: number | undefined;
}

export const initialStatus = (): SyncStatus => ({
  running: false,
  online: false,
  live: false,
  pushing: false,
  pulling: false,
  resyncing: false,
  pending: 0,
  rejected: 0,
  lastSyncedAt: undefined,
  lastError: undefined,
  lastErrorKind: undefined,
  progress: undefined,
});
