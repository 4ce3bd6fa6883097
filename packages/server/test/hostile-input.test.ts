import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TypeDef } from '@fieldsync/core';
import type { Permissions } from '../src/auth/rules.js';
import {
  CorePeer,
  SseClient,
  WORK_ORDER,
  testServer,
  type PullBody,
  type TestServer,
} from '../../../testing/server/harness.js';
import { pgReachable } from '../../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const NOTE: TypeDef = { name: 'note', version: 1, fields: { text: { type: 'string' } } };

/**
 * Rules written the way apps write them: they assume a field is there. The read rule throws on a
 * work order without `team`, the write rule on one without `site`.
 */
const PERMISSIONS: Permissions = {
  types: {
    workOrder: {
      read: (u, d) => (d['team'] as string).toLowerCase() === u.claims['team'],
      write: (_u, d) => (d['site'] as string).length >= 0,
    },
    note: { read: (u) => u.claims['role'] === 'admin' },
  },
};

type Result = {
  id: string;
  status: string;
  error?: { code: string; message: string; path?: string; rule?: string };
};

/**
 * What one member of a tenant (or a buggy device) can send, on both engines: hostile strings,
 * hostile tenant ids, rules that throw, deep nesting, missing required fields. Each case is
 * answered per change or with a 4xx JSON body; the rest of the push is stored; the server serves on.
 */
describe.each(engines)('hostile input at the protocol boundary (%s)', (engine) => {
  let srv: TestServer;
  let token: string;
  beforeAll(async () => {
    srv = await testServer({
      engine,
      types: [WORK_ORDER, NOTE],
      permissions: PERMISSIONS,
      heartbeatMs: 200,
      limits: { rate: { perSecond: 1000, burst: 1000 } },
    });
    token = await srv.token('anna', 'acme', { team: 'a' });
  });
  afterAll(() => srv.close());

  const pullAll = async (tok: string): Promise<{ status: number; docs: Array<{ id: string }> }> => {
    const docs: Array<{ id: string }> = [];
    for (let since = 0; ;) {
      const res = await fetch(`${srv.url}/v1/pull?since=${since}`, {
        headers: { authorization: `Bearer ${tok}` },
      });
      if (res.status !== 200) return { status: res.status, docs };
      const body = (await res.json()) as PullBody;
      docs.push(...(body.docs as Array<{ id: string }>));
      if (!body.more) return { status: 200, docs };
      since = body.cursor;
    }
  };
  const base = (title: string, team = 'a') => [
    { op: 'set' as const, path: ['title'], value: title },
    { op: 'set' as const, path: ['team'], value: team },
    { op: 'set' as const, path: ['site'], value: 's1' },
  ];

  it('NUL and lone surrogates in any string reject that change alone, with path and rule; the rest is stored', async () => {
    const p = new CorePeer(srv.url, token, 'strings');
    const good1 = p.change(undefined, base('fine'));
    const nul = p.change(undefined, base('nul \u0000 inside'));
    const cut = p.change(undefined, base('cut inside an emoji \ud83d'));
    const good2 = p.change(undefined, base('also fine'));
    const nulKey = {
      ...p.change(undefined, base('key')),
      ops: { ...good1.ops, 'ti\u0000tle': good1.ops['title'] },
    };
    const { status, body } = await p.push([good1, nul, cut, good2, nulKey]);
    expect(status).toBe(200);
    const results = body.results as Result[];
    expect(results.map((r) => r.status)).toEqual(['ok', 'rejected', 'rejected', 'ok', 'rejected']);
    expect(results[1]?.error).toMatchObject({ code: 'invalid_change', rule: 'nul' });
    expect(results[1]?.error?.path).toMatch(/^changes\[1\]\.ops\.title/);
    expect(results[2]?.error).toMatchObject({ code: 'invalid_change', rule: 'lone-surrogate' });
    expect(results[2]?.error?.path).toMatch(/^changes\[2\]\.ops\.title/);
    expect(results[4]?.error).toMatchObject({ code: 'invalid_change', rule: 'nul' });
    const pulled = await pullAll(token);
    expect(pulled.status).toBe(200);
    const ids = pulled.docs.map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining([good1.doc, good2.doc]));
    expect(ids).not.toContain(nul.doc);
    expect(ids).not.toContain(cut.doc);
  });

  it('tenant ids that an engine would alter or refuse get a 401 JSON naming the rule, not a merged tenant or a 500', async () => {
    const a = await srv.token('eve', 'twin\ud800');
    const b = await srv.token('mallory', 'twin\udc00');
    const nul = await srv.token('x', 'nul\u0000tenant');
    const long = await srv.token('x', 't'.repeat(9000));
    const ctl = await srv.token('x', 'tab\there');
    const badSub = await srv.token('sub\u0000x', 'fine-tenant');
    for (const [tok, rule, path] of [
      [a, 'lone-surrogate', 'tenant'],
      [b, 'lone-surrogate', 'tenant'],
      [nul, 'nul', 'tenant'],
      [long, 'length', 'tenant'],
      [ctl, 'control-char', 'tenant'],
      [badSub, 'nul', 'sub'],
    ] as const) {
      const peer = new CorePeer(srv.url, tok, 'hostile-tenant');
      const res = await fetch(`${srv.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
        body: JSON.stringify({ changes: [peer.change(undefined, base('x'))] }),
      });
      expect(res.status).toBe(401);
      const err = ((await res.json()) as { error: { code: string; message: string; path?: string } }).error;
      expect(err.code).toBe('bad_token');
      expect(err.path).toBe(path);
      expect(err.message).toContain(rule);
      const pull = await fetch(`${srv.url}/v1/pull`, { headers: { authorization: `Bearer ${tok}` } });
      expect(pull.status).toBe(401);
    }
    // Non-ASCII tenant ids that are well-formed are fine (and stay distinct).
    const ok1 = await srv.token('u', 'Zürich 😀', { team: 'a' });
    const ok2 = await srv.token('u', 'Zürich 😁', { team: 'a' });
    const p1 = new CorePeer(srv.url, ok1, 'z1');
    const c1 = p1.change(undefined, base('z'));
    expect((await p1.push([c1])).status).toBe(200);
    expect((await pullAll(ok2)).docs.map((d) => d.id)).not.toContain(c1.doc);
    expect((await pullAll(ok1)).docs.map((d) => d.id)).toContain(c1.doc);
  });

  it('a NUL or deep value in a pull filter is a 400, not a storage error', async () => {
    const h = { authorization: `Bearer ${token}` };
    const t = await fetch(`${srv.url}/v1/pull?types=${encodeURIComponent('workOrder\u0000')}`, {
      headers: h,
    });
    expect(t.status).toBe(400);
    expect(((await t.json()) as { error: { path: string } }).error.path).toBe('types');
    const deep = '['.repeat(2000) + ']'.repeat(2000);
    const w = await fetch(`${srv.url}/v1/pull?where=${encodeURIComponent(`{"site":{"$in":${deep}}}`)}`, {
      headers: h,
    });
    expect(w.status).toBe(400);
    expect(((await w.json()) as { error: { message: string } }).error.message).toContain('depth');
  });

  it('permission rules that throw are contained per document: hidden from readers, change rejected with rule_error, both logged', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const t = await srv.token('ruler', `rules-${engine}`, { team: 'a' });
      const live = await SseClient.open(`${srv.url}/v1/events`, t);
      await live.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      const p = new CorePeer(srv.url, t, 'rules');
      // No team: the read rule throws on it. It has a site, so the write rule holds.
      const noTeam = p.change(undefined, [
        { op: 'set', path: ['title'], value: 'no team' },
        { op: 'set', path: ['site'], value: 's' },
      ]);
      const good = p.change(undefined, base('delivered live'));
      const first = await p.push([noTeam, good]);
      expect(first.status).toBe(200);
      expect(first.body.results.map((r) => r.status)).toEqual(['ok', 'ok']);
      // The good document is delivered live, beside the one whose read rule throws.
      await live.waitFor(() => live.docs().some((d) => d.id === good.doc));
      expect(live.docs().map((d) => d.id)).not.toContain(noTeam.doc);
      // Pull pages holding it answer 200, without it.
      const pulled = await pullAll(t);
      expect(pulled.status).toBe(200);
      expect(pulled.docs.map((d) => d.id)).toEqual([good.doc]);
      // SSE catch-up completes with it in range.
      const again = await SseClient.open(`${srv.url}/v1/events?since=0`, t);
      await again.waitFor((ev) => ev.some((e) => e.event === 'ready'));
      expect(again.docs().map((d) => d.id)).toEqual([good.doc]);
      await again.close();
      // No site: the write rule throws. That change alone is rejected; its neighbour is stored.
      const noSite = p.change(undefined, [
        { op: 'set', path: ['title'], value: 'no site' },
        { op: 'set', path: ['team'], value: 'a' },
      ]);
      const good2 = p.change(undefined, base('stored beside it'));
      const second = await p.push([noSite, good2]);
      expect(second.status).toBe(200);
      const r = second.body.results as Result[];
      expect(r.map((x) => x.status)).toEqual(['rejected', 'ok']);
      expect(r[0]?.error).toMatchObject({ code: 'rule_error', path: 'changes[0]' });
      expect(r[0]?.error?.message).not.toContain('Cannot read');
      await live.waitFor(() => live.docs().some((d) => d.id === good2.doc));
      await live.close();
      const logged = errors.mock.calls.map((c) => String(c[0]));
      expect(logged.some((l) => l.includes('read rule of type "workOrder" failed'))).toBe(true);
      expect(logged.some((l) => l.includes('write rule of type "workOrder" failed'))).toBe(true);
      expect(logged.some((l) => l.includes('unexpected error'))).toBe(false);
    } finally {
      errors.mockRestore();
    }
  });

  it('health tells nothing without a token, and no global cursor or stream count with one', async () => {
    const anon = await fetch(`${srv.url}/v1/health`);
    expect(anon.status).toBe(200);
    expect(await anon.json()).toEqual({ ok: true });
    const forged = await fetch(`${srv.url}/v1/health`, { headers: { authorization: 'Bearer nope' } });
    expect(await forged.json()).toEqual({ ok: true });
    const authed = await fetch(`${srv.url}/v1/health`, { headers: { authorization: `Bearer ${token}` } });
    expect(await authed.json()).toEqual({ ok: true, protocol: 1, engine });
  });

  it('type_mismatch does not name the type of a document the caller cannot read', async () => {
    const admin = await srv.token('admin', 'mismatch', { role: 'admin', team: 'a' });
    const user = await srv.token('user', 'mismatch', { team: 'a' });
    const a = new CorePeer(srv.url, admin, 'admin', NOTE);
    const secret = a.change(undefined, [{ op: 'set', path: ['text'], value: 'secret' }]);
    expect((await a.push([secret])).status).toBe(200);
    const u = new CorePeer(srv.url, user, 'user');
    const probe = u.change(secret.doc, base('probe'));
    const res = await u.push([probe]);
    expect(res.status).toBe(422);
    const err = (res.body.results as Result[])[0]?.error;
    expect(err?.code).toBe('type_mismatch');
    expect(err?.message).not.toContain('note');
  });

  it('a type definition nested 20,000 levels is a 422 with path and rule, not a 500', async () => {
    let field: unknown = { type: 'string' };
    for (let i = 0; i < 20_000; i++) field = { type: 'object', fields: { a: field } };
    const res = await fetch(`${srv.url}/v1/types/deep`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      // Built by hand: JSON.stringify itself overflows the stack at this depth.
      body: `{"name":"deep","version":1,"fields":{"a":${'{"type":"object","fields":{"a":'.repeat(20_000)}{"type":"string"}${'}}'.repeat(20_000)}}}`,
    });
    expect(res.status).toBe(422);
    const err = ((await res.json()) as { error: { code: string; message: string; path: string } }).error;
    expect(err.code).toBe('invalid_type');
    expect(err.message).toContain('nesting');
    expect(err.path).toBe(Array(33).fill('a').join('.'));
    expect((await fetch(`${srv.url}/v1/health`)).status).toBe(200);
  });

  it('a change value nested 20,000 levels is rejected alone (rule depth); its neighbour is stored', async () => {
    const p = new CorePeer(srv.url, token, 'deep');
    const good = p.change(undefined, base('beside a deep one'));
    const deepChange = p.change(undefined, base('deep'));
    const deepOps = `{"title":${'{"x":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    const json = JSON.stringify({ changes: [good, { ...deepChange, ops: '__DEEP__' }] }).replace(
      '"__DEEP__"',
      deepOps,
    );
    const res = await fetch(`${srv.url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: json,
    });
    expect(res.status).toBe(200);
    const r = ((await res.json()) as { results: Result[] }).results;
    expect(r.map((x) => x.status)).toEqual(['ok', 'rejected']);
    expect(r[1]?.error).toMatchObject({ code: 'invalid_change', rule: 'depth' });
    expect(r[1]?.error?.path).toMatch(/^changes\[1\]\.ops\.title(\.x)+$/);
  });

  it('a change that creates a document without a required field is rejected naming the field (the server is a peer)', async () => {
    const p = new CorePeer(srv.url, token, 'required');
    // Built by hand: core's createChange refuses it, as a client would; a buggy device may not.
    const full = p.change(undefined, base('removed below'));
    const { title: _title, ...ops } = full.ops;
    const noTitle = { ...full, ops };
    const good = p.change(undefined, base('has a title'));
    const res = await p.push([noTitle, good]);
    expect(res.status).toBe(200);
    const r = res.body.results as Result[];
    expect(r.map((x) => x.status)).toEqual(['rejected', 'ok']);
    expect(r[0]?.error).toMatchObject({
      code: 'invalid_change',
      rule: 'required',
      path: 'changes[0].ops.title',
    });
    // An update of an existing document need not repeat the required field.
    const update = p.change(good.doc, [{ op: 'set', path: ['status'], value: 'done' }]);
    expect((await p.push([update])).body.results[0]?.status).toBe('ok');
  });
});
