import type { BackoffOptions } from './backoff.js';
import type { TransportOptions } from './SyncTransport.js';

/** Options of `createDatabase({ sync })`. */
export interface SyncOptions extends TransportOptions, BackoffOptions {
  /** Changes per push. Default 500 (the server accepts up to 1,000). Halved automatically on 413. */
  batchSize?: number;
  /** Documents per pull page (server caps it). */
  pullLimit?: number;
  /** Keep a realtime (SSE) stream open while started. Default true. */
  live?: boolean;
  /** Start syncing as soon as the database opens. Default true. */
  autoStart?: boolean;
  /** Outbox polling interval when the host cannot notify local changes. Default 2 s. */
  pollMs?: number;
  /**
   * The server's heartbeat interval (its `: ping` comments), used until the client learns the
   * real one: from the gap between two pings of a stream, or from `heartbeatMs` in the `ready`
   * event if the server states it. A stream silent for two heartbeats plus a margin is dead and
   * is reconnected. Default 15 s (the server's default).
   */
  heartbeatMs?: number;
  /**
   * While the server is unreachable, probe `GET /v1/health` this often instead of waiting out
   * the backoff (Node has no `online` event). Default 3 s; 0 disables.
   */
  probeMs?: number;
  /** Deadline of one probe. Default 2 s. */
  probeTimeoutMs?: number;
}
