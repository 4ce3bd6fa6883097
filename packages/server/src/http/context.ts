import type { HybridLogicalClock } from '@fieldsync/core';
import type { Permissions } from '../auth/rules.js';
import type { TokenVerifier, User } from '../auth/User.js';
import type { RateLimiter } from '../limits/RateLimiter.js';
import type { HistoryCompactor } from '../history/HistoryCompactor.js';
import type { SseHub } from '../realtime/SseHub.js';
import type { StorageEngine } from '../storage/StorageEngine.js';
import type { TypeRegistry } from '../sync/TypeRegistry.js';

/** Request and batch limits. Defaults are documented in docs/protocol.md. */
export interface Limits {
  /** Largest accepted request body (bytes). Default 4 MiB. */
  maxBodyBytes: number;
  /** Most changes in one push. Default 1,000. */
  maxBatch: number;
  /** Default and maximum documents per pull page. Defaults 1,000 and 5,000. */
  pullLimit: number;
  maxPullLimit: number;
  /** Per-token request rate. Default 50/s sustained, bursts of 200. */
  rate: { perSecond: number; burst: number };
  /**
   * Byte budget of one pull page or SSE event (document states + views): a page ends early
   * rather than grow past it; a single larger document still travels alone. Default 4 MiB.
   */
  maxPageBytes: number;
  /** Largest stored document state (`docToJSON`, UTF-8 bytes); `doc_too_large` beyond. Default 4 MiB. */
  maxDocBytes: number;
  /**
   * Stored bytes (states + views) of the documents one push may touch; a push over it that
   * touches more than one document is refused whole with 413 `push_too_large` (the client then
   * sends smaller batches). Default 64 MiB.
   */
  maxPushStateBytes: number;
  /** Most SSE streams one user (tenant + user id) may hold open; 429 beyond. Default 16. */
  maxStreamsPerUser: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxBatch: 1000,
  pullLimit: 1000,
  maxPullLimit: 5000,
  rate: { perSecond: 50, burst: 200 },
  maxPageBytes: 4 * 1024 * 1024,
  maxDocBytes: 4 * 1024 * 1024,
  maxPushStateBytes: 64 * 1024 * 1024,
  maxStreamsPerUser: 16,
};

/** Everything a route needs, created once per server. */
export interface ServerContext {
  storage: StorageEngine;
  types: TypeRegistry;
  clock: HybridLogicalClock;
  verifier: TokenVerifier;
  permissions: Permissions | undefined;
  limits: Limits;
  rate: RateLimiter;
  hub: SseHub;
  /** History horizon compaction (runs periodically once the server listens). */
  history: HistoryCompactor;
}

/** Hono variables set by the auth middleware. */
export interface AppEnv {
  Variables: { user: User };
}
