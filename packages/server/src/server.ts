import { serve, type ServerType } from '@hono/node-server';
import { HybridLogicalClock, type TypeDef } from '@fieldsync/core';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hmacVerifier } from './auth/jwt.js';
import type { Permissions } from './auth/rules.js';
import type { TokenVerifier } from './auth/User.js';
import { DEFAULT_LIMITS, type Limits, type ServerContext } from './http/context.js';
import { hostFetch } from './http/hostApp.js';
import { demoRefusal, DEMO_PERMISSIONS } from './demo/demoMode.js';
import { seedDemo } from './demo/seedDemo.js';
import { DEFAULT_HISTORY_HORIZON_MS, HistoryCompactor } from './history/HistoryCompactor.js';
import { RateLimiter } from './limits/RateLimiter.js';
import { SseHub } from './realtime/SseHub.js';
import type { StorageEngine } from './storage/StorageEngine.js';
import { TypeRegistry } from './sync/TypeRegistry.js';

export interface ServerOptions {
  storage: StorageEngine;
  /** Bearer-token verifier; default HMAC JWT with `secret`. */
  verifier?: TokenVerifier;
  /** HS256 secret for the default verifier (required when `verifier` is not given). */
  secret?: string;
  permissions?: Permissions;
  /** Types known to every tenant in addition to each tenant's `_types` collection. */
  types?: TypeDef[];
  limits?: Partial<Limits>;
  /** SSE heartbeat interval. Default 15 s (below common 30–60 s proxy idle timeouts). */
  heartbeatMs?: number;
  /** Clock drift bound for incoming stamps (ms). Default: core's (5 minutes). */
  maxDrift?: number;
  port?: number;
  /** Default 127.0.0.1; pass `0.0.0.0` to accept other machines. */
  host?: string;
  /** Serve a built single-page app from this directory at `/` (SPA fallback; see `staticApp`). */
  app?: string;
  /**
   * Demo mode: seeds tenant `demo` (idempotent) and opens `/v1/demo/users` and `/v1/demo/sign-in`.
   * Refused (throws) unless the server uses the public development secret on a loopback host:
   * see `demoRefusal` and the README.
   */
  demo?: boolean;
  /**
   * History horizon (ms): change ids, deleted documents and set tombstones whose last write is
   * older than this are compacted, and a device whose cursor is older gets 410 and resyncs.
   * Default 30 days; `Infinity` keeps history forever. See docs/protocol.md, "History horizon".
   */
  historyHorizonMs?: number;
  /** How often compaction runs (and records a time mark). Default: horizon / 10, at most 1 h. */
  compactEveryMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  context: ServerContext;
  close(): Promise<void>;
}

/** Builds the server context (storage initialised, hub listening) without opening a socket. */
export async function createContext(o: ServerOptions): Promise<ServerContext> {
  await o.storage.init();
  const verifier = o.verifier ?? (o.secret ? hmacVerifier(o.secret) : undefined);
  if (!verifier) throw new Error('a token verifier or an HMAC secret is required');
  const limits: Limits = { ...DEFAULT_LIMITS, ...o.limits };
  return {
    storage: o.storage,
    types: new TypeRegistry(o.storage, o.types),
    clock: new HybridLogicalClock({
      replica: `server-${randomBytes(6).toString('hex')}`,
      ...(o.maxDrift !== undefined ? { maxDrift: o.maxDrift } : {}),
    }),
    verifier,
    permissions: o.permissions,
    limits,
    rate: new RateLimiter(limits.rate),
    hub: new SseHub(o.storage, o.heartbeatMs ?? 15_000),
    history: new HistoryCompactor(o.storage, o.historyHorizonMs ?? DEFAULT_HISTORY_HORIZON_MS),
  };
}

/** The default interval between compaction passes: a tenth of the horizon, at most an hour. */
export const compactInterval = (horizonMs: number): number =>
  Math.max(1000, Math.min(3_600_000, Math.floor(horizonMs / 10)));

/** Starts the HTTP server. Resolves once it listens; `close()` ends streams, then storage. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  if (o.demo) {
    const refused = demoRefusal(o);
    if (refused) throw new Error(refused);
  }
  const ctx = await createContext(o.demo && !o.permissions ? { ...o, permissions: DEMO_PERMISSIONS } : o);
  if (o.demo) await seedDemo(ctx);
  const fetch = hostFetch(ctx, { appDir: o.app, demoSecret: o.demo ? o.secret : undefined });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch, port: o.port ?? 8787, hostname: o.host ?? '127.0.0.1' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  ctx.history.start(o.compactEveryMs ?? compactInterval(ctx.history.horizonMs));
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    context: ctx,
    async close() {
      await ctx.history.stop();
      await ctx.hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await ctx.storage.close();
    },
  };
}
