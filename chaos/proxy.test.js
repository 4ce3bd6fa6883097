import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosProxy } from './proxy.js';

/** A real echo server behind a real proxy: each fault seen from a real client socket. */
const echo = net.createServer((s) => s.pipe(s));
/** @type {ChaosProxy} */
let proxy;

beforeAll(async () => {
  await new Promise((r) => echo.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {net.AddressInfo} */ (echo.address()).port;
  proxy = new ChaosProxy(() => ({ host: '127.0.0.1', port }));
  await proxy.listen();
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => echo.close(() => r(undefined)));
});

/** A client socket through the proxy, with what it received and how it ended. */
async function connect() {
  const s = net.connect(proxy.port, '127.0.0.1');
  const seen = { data: '', error: /** @type {string | undefined} */ (undefined), closed: false };
  s.on('data', (b) => (seen.data += b.toString()));
  s.on('error', (e) => (seen.error = /** @type {NodeJS.ErrnoException} */ (e).code ?? e.message));
  s.on('close', () => (seen.closed = true));
  await new Promise((r) => s.once('connect', r));
  return { s, seen };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('chaos proxy', () => {
  it('forwards, and delays every chunk by the delay while keeping order', async () => {
    const { s, seen } = await connect();
    s.write('a');
    await sleep(100);
    expect(seen.data).toBe('a');
    proxy.delay(300);
    const t = Date.now();
    s.write('b');
    s.write('c');
    while (seen.data.length < 3 && Date.now() - t < 3000) await sleep(10);
    expect(seen.data).toBe('abc');
    expect(Date.now() - t).toBeGreaterThanOrEqual(550); // both ways delayed
    proxy.delay(0);
    s.destroy();
  });

  it('black hole: accepts, forwards nothing, keeps sockets open; healing revives only new connections', async () => {
    const old = await connect();
    proxy.setMode('blackhole');
    const during = await connect();
    old.s.write('x');
    during.s.write('y');
    await sleep(300);
    expect([old.seen.data, during.seen.data]).toEqual(['', '']);
    expect([old.seen.closed, during.seen.closed]).toEqual([false, false]);
    proxy.heal();
    const fresh = await connect();
    fresh.s.write('z');
    old.s.write('x');
    await sleep(300);
    expect(fresh.seen.data).toBe('z');
    expect([old.seen.data, during.seen.data, old.seen.closed, during.seen.closed]).toEqual([
      '',
      '',
      false,
      false,
    ]);
    for (const c of [old, during, fresh]) c.s.destroy();
  });

  it('cut resets open connections and refuses new ones; drop resets open ones', async () => {
    const open = await connect();
    proxy.setMode('cut');
    await sleep(100);
    expect(open.seen.error).toBe('ECONNRESET');
    const refused = net.connect(proxy.port, '127.0.0.1');
    const err = await new Promise((r) =>
      refused.once('error', (e) => r(/** @type {NodeJS.ErrnoException} */ (e).code)),
    );
    expect(err).toBe('ECONNRESET');
    proxy.heal();
    const again = await connect();
    again.s.write('q');
    await sleep(100);
    expect(again.seen.data).toBe('q');
    proxy.drop();
    await sleep(100);
    expect(again.seen.error).toBe('ECONNRESET');
  });
});
