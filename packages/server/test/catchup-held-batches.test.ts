import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HybridLogicalClock, createChange } from '@fieldsync/core';
import type { Hono } from 'hono';
import { signToken } from '../src/auth/jwt.js';
import type { AppEnv, ServerContext } from '../src/http/context.js';
import { createApp } from '../src/http/createApp.js';
import { createContext } from '../src/server.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';
import { SseParser } from '@fieldsync/core';
import { SECRET, WORK_ORDER, waitFor, type PullBody } from '../../../testing/server/harness.js';

/**
 * The moment that decides whether a stream skips writes: catch-up has read its last page from
 * storage and waits for the reader before going live, while live batches held for it pass their
 * bound and are let go. It must then read storage once more. Driven through the web-stream sink
 * (`app.request`), where the test decides exactly when the reader reads.
 */
describe('catch-up: held live batches let go after the last storage read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-held-'));
  let ctx: ServerContext;
  let app: Hono<AppEnv>;
  let token: string;
  const clock = new HybridLogicalClock({ replica: 'held' });
  const push = async (n: number, as = token): Promise<number> => {
    const changes = Array.from({ length: n }, (_, i) =>
      createChange({
        clock,
        type: WORK_ORDER,
        doc: undefined,
        intents: [{ op: 'set', path: ['title'], value: `${i} ${'report '.repeat(150)}` }],
      }),
    );
    const res = await app.request('/v1/push', {
      method: 'POST',
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
      body: JSON.stringify({ changes }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { cursor: number }).cursor;
  };
  /**
   * Opens `GET /v1/events?since=0` and reads it only when the test says (no pipeThrough: a pipe
   * would pull the stream eagerly): `read()` takes one chunk into the parser (false at the end).
   */
  const openEvents = async (as: string) => {
    const res = await app.request('/v1/events?since=0', { headers: { authorization: `Bearer ${as}` } });
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    const ids = new Set<string>();
    let ready = false;
    const parser = new SseParser((m) => {
      if (m.event === 'ready') ready = true;
      if (m.event === 'sync')
        for (const d of (JSON.parse(m.data) as PullBody).docs as Array<{ id: string }>) ids.add(d.id);
    });
    return {
      ids,
      ready: () => ready,
      read: async (): Promise<boolean> => {
        const { value, done } = await reader.read();
        if (!done) parser.push(text.decode(value, { stream: true }));
        return !done;
      },
      cancel: () => reader.cancel(),
    };
  };
  beforeAll(async () => {
    ctx = await createContext({
      storage: new SqliteEngine({ file: join(dir, 'db.sqlite'), synchronous: 'NORMAL' }),
      secret: SECRET,
      types: [WORK_ORDER],
      // Held batches are bounded by the page budget: 64 KiB is passed by ~60 documents.
      limits: { maxPageBytes: 64 * 1024, rate: { perSecond: 10_000, burst: 10_000 } },
    });
    app = createApp(ctx);
    token = await signToken(SECRET, { user: 'anna', tenant: 'held' });
  });
  afterAll(async () => {
    await ctx.hub.close();
    await ctx.storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stream that goes live after its held batches were let go still receives every document', async () => {
    await push(5); // one page: catch-up reads it and is done with storage
    const stream = await openEvents(token);
    const { ids } = stream;
    await stream.read(); // ': connected'
    // Catch-up writes its only page, then waits for this reader (which does not read yet).
    await new Promise((r) => setTimeout(r, 300));
    expect(ctx.hub.size).toBe(1);
    const last = await push(200); // ~200 KB held for the stream: past its bound, let go
    await new Promise((r) => setTimeout(r, 300)); // the fan-out runs after the commit
    while (!stream.ready() && (await stream.read()));
    expect(stream.ready()).toBe(true);
    expect(ids.size).toBe(205);
    // And live from there.
    await push(1);
    await stream.read();
    await waitFor(() => ids.size === 206);
    expect(last).toBeGreaterThan(5);
    await stream.cancel();
  });
  it('… also when they are let go while catch-up reads the head, after its last page', async () => {
    const other = await signToken(SECRET, { user: 'anna', tenant: 'held-head' });
    await push(5, other);
    // The head read that follows the last page waits until the test lets it go.
    let armed = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atHead = new Promise<void>((r) => (reached = r));
    const storage = ctx.storage;
    const tenantHead = storage.tenantHead.bind(storage);
    storage.tenantHead = async (tenant: string): Promise<number> => {
      if (armed && tenant === 'held-head') {
        armed = false;
        reached();
        await gate;
      }
      return tenantHead(tenant);
    };
    try {
      const stream = await openEvents(other);
      const { ids, read } = stream;
      armed = true;
      // ': connected' and the only page: catch-up is then done with storage and reads the head.
      while (ids.size < 5) await read();
      await atHead;
      await push(200, other); // held for the stream past its bound, and let go
      await new Promise((r) => setTimeout(r, 300)); // the fan-out runs after the commit
      release();
      while (!stream.ready() && (await read()));
      expect(stream.ready()).toBe(true);
      while (
        ids.size < 205 &&
        (await Promise.race([read(), new Promise((r) => setTimeout(() => r(false), 2000))]))
      );
      expect(ids.size).toBe(205);
      await stream.cancel();
    } finally {
      storage.tenantHead = tenantHead;
    }
  });
});
