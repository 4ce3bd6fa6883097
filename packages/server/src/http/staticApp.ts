import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { compress } from 'hono/compress';

/**
 * Serves a built single-page app (e.g. apps/workorders/build) from `dir`, beside the sync API on
 * the same origin. A path naming a file gets that file; any other path without a file extension
 * gets `index.html` (SPA fallback: the app routes in the browser), so a deep link or a reload
 * on `/orders/42` works. A missing asset (`/x.js`) is a JSON 404, not HTML, so a broken build
 * fails loudly instead of parsing index.html as script.
 *
 * Caching: files under `_app/immutable/` have content hashes in their names and are cached for a
 * year; everything else (index.html, the service worker, the manifest) is `no-cache`, i.e.
 * revalidated on every load, so a new build and a new service worker are picked up at once.
 */
export function staticApp(dir: string): Hono {
  const root = resolve(dir);
  const index = join(root, 'index.html');
  if (!existsSync(index) || !statSync(index).isFile())
    throw new Error(`--app ${dir}: no index.html in ${root} (build the app first)`);
  const app = new Hono();
  app.onError((err, c) => {
    console.error('[fieldsync] static app error', err);
    return c.json({ error: { code: 'internal', message: 'internal server error' } }, 500);
  });
  app.use('*', compress());
  app.use(
    '*',
    serveStatic({
      root,
      onFound: (path, c) => {
        c.header('Cache-Control', cacheControl(path, root));
        if (path.endsWith('service-worker.js')) c.header('Service-Worker-Allowed', '/');
      },
    }),
  );
  const fallback = serveStatic({
    root,
    path: 'index.html',
    onFound: (_path, c) => {
      c.header('Cache-Control', 'no-cache');
    },
  });
  app.get('*', (c, next) => (extname(c.req.path) === '' ? fallback(c, next) : next()));
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no file ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}

function cacheControl(path: string, root: string): string {
  return path.startsWith(join(root, '_app', 'immutable'))
    ? 'public, max-age=31536000, immutable'
    : 'no-cache';
}
