/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="es2023" />
/// <reference lib="webworker" />
import { build, files, version } from '$service-worker';

/**
 * Caches the app shell so a reload with no network opens the app: the hashed build files and
 * static files of this version, plus index.html (the SPA fallback every route boots from). The
 * data is not here — it lives in IndexedDB. Sync requests (/v1, /app-token) always go to the
 * network: a cached answer there would be a lie.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `shell-${version}`;
const SHELL = '/index.html';
const ASSETS = [...build, ...files, SHELL];

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })(),
  );
});

function isApi(url: URL): boolean {
  return url.pathname.startsWith('/v1/') || url.pathname === '/v1' || url.pathname === '/app-token';
}

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || isApi(url)) return;

  if (req.mode === 'navigate') {
    // Network first (a new deployment shows at once), the cached shell when offline.
    event.respondWith(
      (async () => {
        try {
          const res = await fetch(req);
          if (res.ok) return res;
          throw new Error(String(res.status));
        } catch {
          const cached = await caches.match(SHELL, { cacheName: CACHE });
          return cached ?? Response.error();
        }
      })(),
    );
    return;
  }

  if (ASSETS.includes(url.pathname)) {
    // Versioned assets never change under their name: the cache answers.
    event.respondWith((async () => (await caches.match(url.pathname, { cacheName: CACHE })) ?? fetch(req))());
  }
});
