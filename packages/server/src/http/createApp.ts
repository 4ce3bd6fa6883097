import { Hono } from 'hono';
import { authMiddleware } from './authMiddleware.js';
import { bodyLimit } from './bodyLimit.js';
import { docsRoute } from './docsRoute.js';
import type { AppEnv, ServerContext } from './context.js';
import { eventsRoute } from './eventsRoute.js';
import { errorResponse } from './errorResponse.js';
import { idProblem } from './protocolBoundary.js';
import { mergeRoute } from './mergeRoute.js';
import { pullRoute } from './pullRoute.js';
import { pushRoute } from './pushRoute.js';
import { storeHeadersMiddleware } from './storeHeaders.js';
import { typesRoute } from './typesRoute.js';

/** Version of the wire protocol served under `/v1` (docs/protocol.md). */
export const PROTOCOL_VERSION = 1;

/**
 * The HTTP application. Hono because it is built on web-standard Request/Response/ReadableStream:
 * the same app runs on Node (@hono/node-server), Bun, Deno or workers, SSE is just a stream body,
 * and tests can call `app.request()` without a socket. Every error leaves as JSON.
 */
export function createApp(ctx: ServerContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.onError((err, c) => errorResponse(err, c, 'internal server error; nothing was acknowledged'));
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );

  // First, so that it wraps every response: errors, 401s, 404s and health included.
  app.use('*', storeHeadersMiddleware(ctx));
  // Liveness for load balancers: it reads storage (so a dead database is not "ok") but tells an
  // anonymous caller nothing else, and nobody anything about other tenants (no stream count, no
  // figure across tenants). A caller with a valid token gets its tenant's Fieldsync-Head, like on
  // every other route.
  app.get('/v1/health', async (c) => {
    await ctx.storage.ping();
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const verified = m?.[1] ? await ctx.verifier(m[1]).catch(() => undefined) : undefined;
    // The same id rules as authentication: no head of a tenant an engine would rewrite.
    const user =
      verified && !idProblem(verified.tenant, 'tenant') && !idProblem(verified.id, 'sub')
        ? verified
        : undefined;
    if (user) c.set('user', user);
    return c.json(user ? { ok: true, protocol: PROTOCOL_VERSION, engine: ctx.storage.kind } : { ok: true });
  });

  app.use('/v1/*', bodyLimit(ctx.limits.maxBodyBytes));
  app.use('/v1/*', authMiddleware(ctx));
  pushRoute(app, ctx);
  mergeRoute(app, ctx);
  pullRoute(app, ctx);
  eventsRoute(app, ctx);
  typesRoute(app, ctx);
  docsRoute(app, ctx);
  return app;
}
