import type { Hono } from 'hono';
import { demoRoutes } from '../demo/demoRoutes.js';
import type { AppEnv, ServerContext } from './context.js';
import { createApp } from './createApp.js';
import { staticApp } from './staticApp.js';

/** What `startServer` serves beside the sync API. */
export interface HostOptions {
  /** Directory of a built single-page app served at `/` (see `staticApp`). */
  appDir?: string | undefined;
  /** HS256 secret of demo tokens: given only when demo mode was allowed (`demoRefusal`). */
  demoSecret?: string | undefined;
}

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>;

const notFound = (path: string): Response =>
  Response.json({ error: { code: 'not_found', message: `no route ${path}` } }, { status: 404 });

/**
 * One origin for the app and its data: `/v1/demo/*` goes to the demo sign-in (404 when demo mode
 * is off, never to the authenticated API), the rest of `/v1` to the sync API, and every other
 * path to the static app when there is one. Dispatching on the path keeps the three apps apart
 * (their own error handlers, the sync API's auth middleware only on its own paths) and the sync
 * app unaware of the others.
 */
export function hostFetch(ctx: ServerContext, o: HostOptions = {}): Fetch {
  const sync: Hono<AppEnv> = createApp(ctx);
  const demo = o.demoSecret !== undefined ? demoRoutes(o.demoSecret) : undefined;
  const app = o.appDir !== undefined ? staticApp(o.appDir) : undefined;
  return (req, env) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith('/v1/demo/') || path === '/v1/demo')
      return demo ? demo.fetch(req, env) : notFound(`${req.method} ${path}`);
    if (app === undefined || path === '/v1' || path.startsWith('/v1/')) return sync.fetch(req, env);
    return app.fetch(req, env);
  };
}
