import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HybridLogicalClock, createChange } from '@fieldsync/core';
import { signToken } from '../src/auth/jwt.js';
import { MAX_BUFFERED_BYTES } from '../src/realtime/sseSinks.js';
import { SseParser } from '@fieldsync/core';
import {
  SECRET,
  SseClient,
  WORK_ORDER,
  testServer,
  waitFor,
  type PullBody,
  type TestServer,
} from '../../../testing/server/harness.js';

/** The server runs built (`npm test` builds first) in a child process, so its memory is its own. */
const FIXTURE = resolve(import.meta.dirname, 'fixtures/memoryServer.mjs');
if (!existsSync(resolve(import.meta.dirname, '../dist/index.js')))
  throw new Error('packages/server/dist is missing: run "npm run build" first');

const MiB = 1024 * 1024;
const STREAMS = 30;

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

class MemoryServer {
  url = '';
  readonly #child: ChildProcess;
  #waiters: Array<(m: { mem: Mem; streams: number }) => void> = [];
  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(opts: object): Promise<MemoryServer> {
    const child = fork(FIXTURE, [JSON.stringify(opts)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const s = new MemoryServer(child);
    s.url = await new Promise<string>((res, rej) => {
      child.once('exit', (code) => rej(new Error(`memory server exited with ${code}`)));
      child.on('message', (m: { url?: string; mem?: Mem; streams?: number }) => {
        if (m.url) res(m.url);
        if (m.mem) s.#waiters.shift()?.({ mem: m.mem, streams: m.streams ?? 0 });
      });
    });
    return s;
  }

  /** Memory after a full GC, and the number of open streams. */
  sample(): Promise<{ mem: Mem; streams: number }> {
    return new Promise((res) => {
      this.#waiters.push(res);
      this.#child.send('mem');
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const gone = new Promise((r) => this.#child.once('exit', r));
    this.#child.send('stop');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}

/** An SSE request whose reader never reads a byte (the socket is paused before any data). */
function neverReading(url: string, token: string, since: number): Promise<Socket> {
  const u = new URL(url);
  return new Promise((res, rej) => {
    const sock = connect(Number(u.port), u.hostname, () => {
      sock.pause();
      sock.write(
        `GET /v1/events?since=${since} HTTP/1.1\r\nHost: ${u.host}\r\n` +
          `Authorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      res(sock);
    });
    sock.on('error', rej);
  });
}

/** Pushes `n` documents of ~1.2 KB, 1,000 per push. */
async function fill(url: string, token: string, n: number, replica: string): Promise<number> {
  const clock = new HybridLogicalClock({ replica });
  const pad = 'field report '.repeat(90);
  let cursor = 0;
  for (let i = 0; i < n; i += 1000) {
    const changes = Array.from({ length: Math.min(1000, n - i) }, (_, j) =>
      createChange({
        clock,
        type: WORK_ORDER,
        doc: undefined,
        intents: [
          { op: 'set', path: ['title'], value: `${i + j} ${pad}` },
          { op: 'set', path: ['site'], value: `site ${j % 50}` },
        ],
      }),
    );
    const res = await fetch(`${url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ changes }),
    });
    if (res.status !== 200) throw new Error(`push ${res.status}`);
    cursor = ((await res.json()) as { cursor: number }).cursor;
  }
  return cursor;
}

const mb = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

/**
 * Readers that never read, on a tenant of 30,000 documents (~36 MB): each stream holds at most
 * about one page (catch-up waits for the socket to drain) or the 4 MiB slow-reader cap plus one
 * event (live), and memory is released when they close.
 */
describe('readers that never read', () => {
  let srv: MemoryServer;
  const tokens: string[] = [];
  let writer = '';
  let head = 0;
  beforeAll(async () => {
    srv = await MemoryServer.start({
      secret: SECRET,
      types: [WORK_ORDER],
      heartbeatMs: 500,
      limits: { rate: { perSecond: 10_000, burst: 10_000 } },
    });
    writer = await signToken(SECRET, { user: 'writer', tenant: 'big' });
    for (let i = 0; i < STREAMS; i++)
      tokens.push(await signToken(SECRET, { user: `reader${i}`, tenant: 'big' }));
    head = await fill(srv.url, writer, 30_000, 'fill');
  }, 300_000);
  afterAll(() => srv.stop());

  /** Waits until the server holds `n` streams (requests are still being parsed under load). */
  const streamsReach = async (n: number): Promise<void> => {
    for (const end = Date.now() + 30_000; Date.now() < end;) {
      if ((await srv.sample()).streams === n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the server never held ${n} streams`);
  };
  const closeAll = async (socks: Socket[]): Promise<{ mem: Mem; streams: number }> => {
    for (const s of socks) s.destroy();
    await streamsReach(0);
    return srv.sample();
  };

  const peakWhile = async (ms: number): Promise<{ rss: number; heap: number; streams: number }> => {
    let rss = 0;
    let heap = 0;
    let streams = 0;
    for (const end = Date.now() + ms; Date.now() < end;) {
      const s = await srv.sample();
      rss = Math.max(rss, s.mem.rss);
      heap = Math.max(heap, s.mem.heapUsed + s.mem.arrayBuffers);
      streams = s.streams;
      await new Promise((r) => setTimeout(r, 250));
    }
    return { rss, heap, streams };
  };

  it('catch-up respects backpressure: 30 never-reading streams from cursor 0 stay near one page each, released on close', async () => {
    const base = (await srv.sample()).mem;
    const socks = await Promise.all(tokens.map((t) => neverReading(srv.url, t, 0)));
    try {
      await streamsReach(STREAMS);
      const peak = await peakWhile(3000);
      console.log(
        `[slow readers, catch-up] ${STREAMS} streams: rss ${mb(base.rss)} → peak ${mb(peak.rss)} (+${mb(peak.rss - base.rss)}), heap+buffers ${mb(base.heapUsed + base.arrayBuffers)} → ${mb(peak.heap)}`,
      );
      // Still open: a stream in catch-up waits for its reader, it is not cut.
      expect(peak.streams).toBe(STREAMS);
      // Without backpressure each stream buffers the whole tenant (~36 MB): ~1 GB for 30.
      expect(peak.rss - base.rss).toBeLessThan(STREAMS * MAX_BUFFERED_BYTES);
      expect(peak.heap - (base.heapUsed + base.arrayBuffers)).toBeLessThan(STREAMS * MAX_BUFFERED_BYTES);
    } finally {
      const after = await closeAll(socks);
      const held = after.mem.heapUsed + after.mem.arrayBuffers - (base.heapUsed + base.arrayBuffers);
      console.log(`[slow readers, catch-up] closed: rss ${mb(after.mem.rss)}, heap+buffers +${mb(held)}`);
      expect(held).toBeLessThan(32 * MiB);
    }
  }, 120_000);

  it('live: never-reading streams are cut past the 4 MiB cap (plus one event) and memory is released', async () => {
    const base = (await srv.sample()).mem;
    const socks = await Promise.all(tokens.map((t) => neverReading(srv.url, t, head)));
    try {
      await streamsReach(STREAMS);
      const writing = fill(srv.url, writer, 20_000, 'live');
      const peak = await peakWhile(3000);
      head = await writing;
      const end = await peakWhile(1000);
      const top = Math.max(peak.rss, end.rss);
      console.log(
        `[slow readers, live] ${STREAMS} streams: rss ${mb(base.rss)} → peak ${mb(top)} (+${mb(top - base.rss)}), streams left ${end.streams}`,
      );
      expect(top - base.rss).toBeLessThan(STREAMS * 2 * MAX_BUFFERED_BYTES);
      // 20,000 documents (~24 MB) per stream cannot fit under the cap: every stream was cut.
      expect(end.streams).toBe(0);
    } finally {
      const after = await closeAll(socks);
      expect(after.mem.heapUsed + after.mem.arrayBuffers - (base.heapUsed + base.arrayBuffers)).toBeLessThan(
        32 * MiB,
      );
    }
  }, 120_000);
});

describe('per-user stream limit', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ limits: { maxStreamsPerUser: 3 } });
  });
  afterAll(() => srv.close());

  it('the newest stream over the limit is refused with a JSON 429; another user, or a freed slot, is fine', async () => {
    const t = await srv.token('anna', 'acme');
    const open = await Promise.all([0, 1, 2].map(() => SseClient.open(`${srv.url}/v1/events`, t)));
    for (const s of open) await s.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    const refused = await fetch(`${srv.url}/v1/events`, { headers: { authorization: `Bearer ${t}` } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
    const other = await SseClient.open(`${srv.url}/v1/events`, await srv.token('ben', 'acme'));
    expect(other.status).toBe(200);
    await open[0]?.close();
    await waitFor(() => srv.context.hub.streamsOf('acme', 'anna') === 2);
    const again = await SseClient.open(`${srv.url}/v1/events`, t);
    expect(again.status).toBe(200);
    for (const s of [...open, other, again]) await s.close();
  });
});

/**
 * A stream stuck in catch-up while the tenant keeps writing: the live batches held for it are let
 * go past their bound, and catch-up reads them from storage instead. When the reader finally
 * reads, it must get every document (none skipped between storage pages and held batches) and
 * then be live.
 */
describe('a stream stuck in catch-up while writes continue', () => {
  let srv: TestServer;
  beforeAll(async () => {
    // A small page budget so that the held batches pass their bound (the budget) quickly.
    srv = await testServer({
      limits: { maxPageBytes: 256 * 1024, rate: { perSecond: 10_000, burst: 10_000 } },
    });
  });
  afterAll(() => srv.close());

  it('gets every document written before and during its catch-up, then live ones', async () => {
    const token = await srv.token('anna', 'stuck');
    // More than loopback socket buffers hold (~10 MB), so catch-up really waits for the reader.
    const before = await fill(srv.url, token, 15_000, 'before');
    const ids = new Set<string>();
    let ready = false;
    let lastId = 0;
    const parser = new SseParser((m) => {
      if (m.id !== undefined) {
        expect(Number(m.id)).toBeGreaterThanOrEqual(lastId);
        lastId = Number(m.id);
      }
      if (m.event === 'ready') ready = true;
      if (m.event === 'sync')
        for (const d of (JSON.parse(m.data) as PullBody).docs as Array<{ id: string }>) ids.add(d.id);
    });
    // Paused from the first byte: Node stops reading the socket once its small buffer is full.
    const res = await new Promise<IncomingMessage>((resolveRes, rej) =>
      get(`${srv.url}/v1/events?since=0`, { headers: { authorization: `Bearer ${token}` } }, (r) => {
        r.pause();
        resolveRes(r);
      }).on('error', rej),
    );
    await waitFor(() => srv.context.hub.size === 1, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    // Written while the stream cannot move: ~3 MB held against a 256 KiB bound → let go.
    const during = await fill(srv.url, token, 2_500, 'during');
    expect(during).toBeGreaterThan(before);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => parser.push(chunk));
    res.resume();
    await waitFor(() => ready, 60_000);
    expect(ids.size).toBe(17_500);
    expect(lastId).toBe(during);
    // Live afterwards.
    const after = await fill(srv.url, token, 1, 'after');
    await waitFor(() => ids.size === 17_501, 10_000);
    expect(lastId).toBe(after);
    res.destroy();
  }, 180_000);
});
