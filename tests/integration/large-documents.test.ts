import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { HybridLogicalClock, createChange, type Change } from '@fieldsync/core';
import { SseParser } from '@fieldsync/core';
import {
  CorePeer,
  SseClient,
  WORK_ORDER,
  testServer,
  type PullBody,
  type TestServer,
} from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const DOCS = Number(process.env['FIELDSYNC_BIG_DOCS'] ?? 120);
/** ~560 KB per document: a page of 1,000 of them is past the longest JavaScript string (~536 M). */
const TITLE_CHARS = 560_000;
const LONG = 300_000;

/**
 * A tenant of 1,000 documents of ~560 KB (each push under the 4 MiB body limit). Pull pages and
 * SSE catch-up are bounded by bytes, so every page answers 200 and catch-up completes; a real
 * client's flush() gets everything.
 */
describe.each(engines)('large documents (%s)', (engine) => {
  let srv: TestServer;
  let token: string;
  const ids = new Set<string>();
  beforeAll(async () => {
    srv = await testServer({ engine, limits: { rate: { perSecond: 10_000, burst: 10_000 } } });
    token = await srv.token('anna', 'big');
    const clock = new HybridLogicalClock({ replica: 'big' });
    const filler = Array.from({ length: TITLE_CHARS / 10 }, (_, i) => String(i % 1e9).padStart(10, '0')).join(
      '',
    );
    let batch: Change[] = [];
    const flush = async (): Promise<void> => {
      const res = await fetch(`${srv.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ changes: batch }),
      });
      if (res.status !== 200) throw new Error(`push ${res.status}: ${(await res.text()).slice(0, 300)}`);
      batch = [];
    };
    for (let i = 0; i < DOCS; i++) {
      const c = createChange({
        clock,
        type: WORK_ORDER,
        doc: undefined,
        intents: [{ op: 'set', path: ['title'], value: `${i}:${filler}` }],
      });
      ids.add(c.doc);
      batch.push(c);
      if (batch.length === 7) await flush(); // ~3.9 MB per push
    }
    if (batch.length) await flush();
  }, 600_000);
  afterAll(() => srv.close());

  it('pull since=0 pages through without a 500, each page within the byte budget (or one document)', async () => {
    const seen = new Set<string>();
    let pages = 0;
    for (let since = 0; ; pages++) {
      const res = await fetch(`${srv.url}/v1/pull?since=${since}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      const body = JSON.parse(text) as PullBody;
      expect(body.docs.length === 1 || text.length <= 4 * 1024 * 1024).toBe(true);
      for (const d of body.docs as Array<{ id: string }>) seen.add(d.id);
      if (!body.more) break;
      since = body.cursor;
    }
    expect(seen.size).toBe(DOCS);
    expect([...ids].every((id) => seen.has(id))).toBe(true);
    expect(pages).toBeGreaterThanOrEqual(Math.floor(DOCS / 4));
  }, 300_000);

  it('SSE catch-up from 0 completes (every document, then ready)', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${srv.url}/v1/events?since=0`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ctrl.signal,
    });
    expect(res.status).toBe(200);
    const seen = new Set<string>();
    let ready = false;
    // Counts ids and lets each event's text go: the test holds no copy of the tenant.
    const parser = new SseParser((m) => {
      if (m.event === 'ready') ready = true;
      if (m.event === 'sync')
        for (const d of (JSON.parse(m.data) as PullBody).docs as Array<{ id: string }>) seen.add(d.id);
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (!ready) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
    ctrl.abort();
    expect(ready).toBe(true);
    expect(seen.size).toBe(DOCS);
  }, 300_000);

  it("a real client's flush() succeeds and holds every document", async () => {
    const db: Database = await createDatabase({
      name: `big-${engine}`,
      replicaId: `big-client-${engine}`,
      sync: { url: srv.url, token, autoStart: false, live: false, initialMs: 20, maxMs: 200 },
    });
    try {
      if (!db.typeFor('workOrder')) await db.defineType(WORK_ORDER);
      await db.sync!.flush();
      expect(db.collection('workOrder').find().fetch().length).toBe(DOCS);
    } finally {
      await db.close();
    }
  }, 300_000);
});

/** The per-document size limit, answered per change (small limit, so the test stays small). */
describe.each(engines)('document size limit (%s)', (engine) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ engine, limits: { maxDocBytes: 100_000 } });
  });
  afterAll(() => srv.close());

  it('a change that would grow a document past maxDocBytes is rejected alone with doc_too_large, path and limit', async () => {
    const p = new CorePeer(srv.url, await srv.token('anna', 'size'), 'size');
    const a = p.change(undefined, [{ op: 'set', path: ['title'], value: 't'.repeat(50_000) }]);
    const b = p.change(undefined, [{ op: 'set', path: ['title'], value: 'small' }]);
    expect((await p.push([a, b])).body.results.map((r) => r.status)).toEqual(['ok', 'ok']);
    // Grows `a` past the limit; the next change of the same document and one of another are fine.
    const grow = p.change(a.doc, [{ op: 'add', path: ['tags'], values: ['x'.repeat(LONG / 5)] }]);
    const status = p.change(a.doc, [{ op: 'set', path: ['status'], value: 'done' }]);
    const other = p.change(b.doc, [{ op: 'set', path: ['status'], value: 'open' }]);
    const res = await p.push([grow, status, other]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual(['rejected', 'ok', 'ok']);
    expect(res.body.results[0]?.error).toMatchObject({
      code: 'doc_too_large',
      path: 'changes[0]',
      limit: 100_000,
    });
    const fresh = new CorePeer(srv.url, p.token, 'fresh');
    await fresh.pull();
    const view = fresh.docs.get(a.doc);
    expect(JSON.stringify(view)).toContain('done');
    expect(JSON.stringify(view).length).toBeLessThan(100_000);
    expect(fresh.docs.get(b.doc)).toBeDefined();
    // A single change that is itself over the limit, on a new document: rejected, nothing stored.
    const huge = p.change(undefined, [{ op: 'set', path: ['title'], value: 'h'.repeat(LONG) }]);
    const r2 = await p.push([huge]);
    expect(r2.status).toBe(422);
    expect(r2.body.results[0]?.error?.code).toBe('doc_too_large');
  });
});

/** Live events are bounded by bytes too: one push of many large documents becomes several events. */
describe.each(engines)('live events split by bytes (%s)', (engine) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ engine, limits: { maxPageBytes: 64 * 1024 } });
  });
  afterAll(() => srv.close());

  it('a push of 10 documents of ~20 KB reaches a live stream as events of at most 64 KiB, ids increasing to the cursor', async () => {
    const token = await srv.token('anna', 'split');
    const live = await SseClient.open(`${srv.url}/v1/events`, token);
    await live.waitFor((ev) => ev.some((e) => e.event === 'ready'));
    const p = new CorePeer(srv.url, token, 'split');
    const changes = Array.from({ length: 10 }, (_, i) =>
      p.change(undefined, [{ op: 'set', path: ['title'], value: `${i} ${'y'.repeat(20_000)}` }]),
    );
    const res = await p.push(changes);
    expect(res.status).toBe(200);
    await live.waitFor(() => live.docs().length === 10);
    const events = live.events.filter((e) => e.event === 'sync');
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) expect(e.data.length).toBeLessThanOrEqual(64 * 1024);
    const ids = events.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(ids[ids.length - 1]).toBe(res.body.cursor);
    expect(new Set(live.docs().map((d) => d.id))).toEqual(new Set(changes.map((c) => c.doc)));
    await live.close();
  });
});
