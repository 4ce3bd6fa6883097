import { createAdaptorServer } from '@hono/node-server';
import { HybridLogicalClock, type TypeDef } from '@fieldsync/core';
import type { AddressInfo, Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DEV_SECRET, hmacVerifier } from './auth/jwt.js';
import type { Permissions } from './auth/rules.js';
import type { TokenVerifier } from './auth/User.js';
import { answerClientError } from './http/clientErrorResponse.js';
import { DEFAULT_LIMITS, type Limits, type ServerContext } from './http/context.js';
import { hostFetch } from './http/hostApp.js';
import { staticApp } from './http/staticApp.js';
import { listen } from './http/listen.js';
import { isLoopbackHost } from './http/loopback.js';
import { demoRefusal, DEMO_PERMISSIONS } from './demo/demoMode.js';
import { seedDemo } from './demo/seedDemo.js';
import { DEFAULT_HISTORY_HORIZON_MS, HistoryCompactor } from './history/HistoryCompactor.js';
import { RateLimiter } from './limits/RateLimiter.js';
import { SseHub } from './realtime/SseHub.js';
import type { StorageEngine } from './storage/StorageEngine.js';
import { TypeRegistry } from './sync/TypeRegistry.js';

export interface ServerOptions {
  /**
   * The storage engine, or a function opening it. `startServer` calls the function only once the
   * port is bound, so a server that cannot listen leaves nothing new on disk.
   */
  storage: StorageEngine | (() => StorageEngine);
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
  /**
   * Default 127.0.0.1; pass `0.0.0.0` to accept other machines. Refused with the public
   * DEV_SECRET unless loopback (127.0.0.0/8, ::1, localhost): anyone could mint tokens.
   */
  host?: string;
  /** Largest request head (request line + headers) in bytes; beyond it a JSON 431. Default 16 KiB. */
  maxHeaderBytes?: number;
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

/** The verifier of `o`; throws for a missing or too short secret. */
function verifierOf(o: ServerOptions): TokenVerifier {
  if (o.verifier) return o.verifier;
  if (!o.secret) throw new Error('a token verifier or an HMAC secret is required');
  return hmacVerifier(o.secret);
}

/** Builds the server context (storage initialised, hub listening) without opening a socket. */
export async function createContext(o: ServerOptions): Promise<ServerContext> {
  const verifier = verifierOf(o);
  const storage = typeof o.storage === 'function' ? o.storage() : o.storage;
  await storage.init();
  const limits: Limits = { ...DEFAULT_LIMITS, ...o.limits };
  return {
    storage,
    types: new TypeRegistry(storage, o.types),
    clock: new HybridLogicalClock({
      replica: `server-${randomBytes(6).toString('hex')}`,
      ...(o.maxDrift !== undefined ? { maxDrift: o.maxDrift } : {}),
    }),
    verifier,
    permissions: o.permissions,
    limits,
    rate: new RateLimiter(limits.rate),
    hub: new SseHub(storage, o.heartbeatMs ?? 15_000, limits.maxPageBytes),
    history: new HistoryCompactor(storage, o.historyHorizonMs ?? DEFAULT_HISTORY_HORIZON_MS),
  };
}

/** The default interval between compaction passes: a tenth of the horizon, at most an hour. */
export const compactInterval = (horizonMs: number): number =>
  Math.max(1000, Math.min(3_600_000, Math.floor(horizonMs / 10)));

const closeServer = (server: Server): Promise<void> =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function')
      server.closeAllConnections();
  });

/**
 * Starts the HTTP server. Resolves once it listens and storage is ready; `close()` ends streams,
 * then storage. Validates first (secret, host), binds the port second and opens storage last,
 * so a bad option or a busy port fails before anything is created on disk. Requests that arrive
 * while storage opens wait for it.
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  if (o.demo) {
    const refused = demoRefusal(o);
    if (refused) throw new Error(refused);
  }
  if (o.secret === DEV_SECRET && !o.verifier && !isLoopbackHost(host))
    throw new Error(
      `refusing to listen on ${host} with the public development secret: anyone could mint tokens for any tenant; set FIELDSYNC_JWT_SECRET (e.g. openssl rand -base64 48)`,
    );
  const verifier = verifierOf(o);
  // Throws for a directory without index.html, before the port is bound or storage opened.
  if (o.app !== undefined) staticApp(o.app);
  const maxHeaderBytes = o.maxHeaderBytes ?? 16 * 1024;
  let handler: Promise<ReturnType<typeof hostFetch>> | undefined;
  const server = createAdaptorServer({
    fetch: async (req: Request, env?: unknown) =>
      (await (handler as Promise<ReturnType<typeof hostFetch>>))(req, env),
    serverOptions: { maxHeaderSize: maxHeaderBytes },
  }) as Server;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) =>
    answerClientError(err, socket, maxHeaderBytes),
  );
  await listen(server, o.port ?? 8787, host);
  let ctx: ServerContext;
  try {
    const ready = (async () => {
      const c = await createContext({
        ...o,
        verifier,
        ...(o.demo && !o.permissions ? { permissions: DEMO_PERMISSIONS } : {}),
      });
      if (o.demo)
        await seedDemo(c).catch(async (e: unknown) => {
          await c.hub.close();
          await c.storage.close();
          throw e;
        });
      return c;
    })();
    handler = ready.then((c) => hostFetch(c, { appDir: o.app, demoSecret: o.demo ? o.secret : undefined }));
    handler.catch(() => undefined);
    ctx = await ready;
    await handler;
  } catch (e) {
    await closeServer(server);
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  ctx.history.start(o.compactEveryMs ?? compactInterval(ctx.history.horizonMs));
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    context: ctx,
    async close() {
      await ctx.history.stop();
      await ctx.hub.close();
      await closeServer(server);
      await ctx.storage.close();
    },
  };
}
