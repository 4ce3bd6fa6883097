/** The sync client: what `createDatabase({ sync })` uses, and what tests drive directly. */
export { SyncClient } from './SyncClient.js';
export { CURSOR_KEY } from './SyncPosition.js';
export type { SyncOptions } from './SyncOptions.js';
export type { SyncHost, SyncOutbox } from './SyncHost.js';
export type { SyncProgress, SyncStatus } from './SyncStatus.js';
export { SyncHttpError, SyncNetworkError } from './syncErrors.js';
export { SyncTransport, DEFAULT_REQUEST_TIMEOUT_MS, type ServerInfo } from './SyncTransport.js';
// The wire shapes are core's (one contract for client and server); re-exported for callers of SyncTransport.
export {
  ProtocolError,
  type ChangeResult,
  type Delta,
  type DocsResponse,
  type MergeResponse,
  type PushResponse,
} from '@fieldsync/core';
// The text/event-stream parser is core's (the server's tests read streams with it too).
export { SseParser, type SseMessage } from '@fieldsync/core';
export { Backoff, type BackoffOptions } from './backoff.js';
export { SyncAbortedError, deadline, type Deadline } from './deadline.js';
