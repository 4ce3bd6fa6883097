import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The page every browser test loads: it runs `/client.js`, which puts the client on `window.fieldsync`. */
export const PAGE_HTML =
  '<!doctype html><meta charset="utf-8"><title>fieldsync</title><script type="module" src="/client.js"></script>';

/** The client (from source, with idb) bundled for the page by esbuild: `entry.ts`. */
export async function bundleClient(): Promise<string> {
  const out = await build({
    entryPoints: [join(here, 'entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/**
 * Writes the page and the bundled client into `dir`, for a server that serves them itself
 * (`startServer({ app: dir })`): the page then syncs with its own origin.
 */
export async function writeClientApp(dir: string): Promise<void> {
  const js = await bundleClient();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'client.js'), js);
  writeFileSync(join(dir, 'index.html'), PAGE_HTML);
}

/**
 * Bundles the client and serves it with an empty page on 127.0.0.1, so the page has a real
 * origin and therefore real IndexedDB and BroadcastChannel.
 */
export async function serveClient(): Promise<{ url: string; close: () => Promise<void> }> {
  const js = await bundleClient();
  const server = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE_HTML);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
