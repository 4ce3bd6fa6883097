import { build } from 'esbuild';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles the client (from source, with idb) and serves it with an empty page on 127.0.0.1, so
 * the page has a real origin and therefore real IndexedDB and BroadcastChannel.
 */
export async function serveClient(): Promise<{ url: string; close: () => Promise<void> }> {
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
  const js = out.outputFiles[0]!.text;
  const html =
    '<!doctype html><meta charset="utf-8"><title>fieldsync</title><script type="module" src="/client.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
