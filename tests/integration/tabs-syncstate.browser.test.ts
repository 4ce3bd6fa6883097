import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, startServer, type RunningServer, SqliteEngine } from '@fieldsync/server';

/*
 * Sync state across tabs (issue 17) in real Chromium: the leader tab owns the outbox and the sync;
 * a follower gets the states over the tab channel (the mirrored outbox) and its writes' `server`
 * promises settle from the leader's acknowledgements and rejections.
 */

const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'tabs-syncstate-test-secret-0123456789abcdef';
const TYPE = {
  name: 'workOrders',
  version: 1,
  fields: { title: { type: 'string', required: true }, status: { type: 'enum', values: ['open', 'done'] } },
};

const missing = !existsSync(CHROMIUM) && process.env['CI'] !== 'true';
if (missing)
  console.warn(
    `tabs-syncstate.browser.test: skipped, no Chromium at ${CHROMIUM} (CI=true makes this a failure)`,
  );

type State = { status: string; pending?: number; code?: string };
/** What the test calls in a page (the real client, bundled by esbuild). */
interface Tab {
  db: {
    tabRole: string;
    sync: { start(): void; stop(): Promise<void> };
    syncState: { of(id: string): State; count: number };
    collection(n: string): {
      insert(d: unknown): Promise<string> & { server: Promise<void> };
      update(id: string, m: unknown): Promise<void> & { server: Promise<void> };
    };
  };
  acks: Record<string, string>;
}

describe.skipIf(missing)('sync state in a follower tab', () => {
  let browser: Browser;
  let server: RunningServer;
  let dir: string;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fieldsync-tabs-state-'));
    const app = join(dir, 'app');
    const out = await build({
      stdin: {
        contents:
          "import { createDatabase, IndexedDbStorage } from '@fieldsync/client';\n" +
          'globalThis.fieldsync = { createDatabase, IndexedDbStorage };',
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['source'],
      write: false,
      logLevel: 'silent',
    });
    mkdirSync(app);
    writeFileSync(join(app, 'client.js'), out.outputFiles[0]!.text);
    writeFileSync(
      join(app, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>fieldsync</title><script type="module" src="/client.js"></script>',
    );
    server = await startServer({
      storage: new SqliteEngine({ file: join(dir, 'db.sqlite'), synchronous: 'NORMAL' }),
      secret: SECRET,
      port: 0,
      types: [TYPE as never],
      app,
      heartbeatMs: 1000,
      // A title "forbidden" is refused for good: the change is set aside on the device.
      permissions: { types: { workOrders: { write: (_u, doc) => doc['title'] !== 'forbidden' } } },
    });
    token = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openTab(ctx: BrowserContext): Promise<Page> {
    const p = await ctx.newPage();
    await p.goto(server.url);
    await p.waitForFunction(() => 'fieldsync' in window);
    await p.evaluate(
      async ({ type, token }) => {
        const { createDatabase, IndexedDbStorage } = (window as unknown as { fieldsync: any }).fieldsync; // eslint-disable-line @typescript-eslint/no-explicit-any
        const db = await createDatabase({
          name: 'tabs',
          storage: new IndexedDbStorage('state-db'),
          sync: { url: location.origin, token },
        });
        await db.defineType(type);
        Object.assign(window, { db, acks: {} });
      },
      { type: TYPE, token },
    );
    return p;
  }
  const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const end = Date.now() + 15_000;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stateIn = (p: Page, id: string): Promise<State> =>
    p.evaluate((id) => (window as unknown as Tab).db.syncState.of(id), id);

  it('a follower shows pending while the leader is not syncing, then synced or rejected, and its server promises settle', async () => {
    const ctx = await browser.newContext();
    const a = await openTab(ctx);
    await until(
      'tab A to lead',
      async () => (await a.evaluate(() => (window as unknown as Tab).db.tabRole)) === 'leader',
    );
    const b = await openTab(ctx);
    expect(await b.evaluate(() => (window as unknown as Tab).db.tabRole)).toBe('follower');
    await a.evaluate(() => (window as unknown as Tab).db.sync.stop());

    const [ok, bad] = await b.evaluate(async () => {
      const w = window as unknown as Tab;
      const orders = w.db.collection('workOrders');
      const track = (p: Promise<string> & { server: Promise<void> }, key: string): Promise<string> => {
        p.server.then(
          () => (w.acks[key] = 'stored'),
          (e: { name: string; serverCode: string }) => (w.acks[key] = `${e.name} ${e.serverCode}`),
        );
        return p;
      };
      return [
        await track(orders.insert({ title: 'fine', status: 'open' }), 'ok'),
        await track(orders.insert({ title: 'forbidden', status: 'open' }), 'bad'),
      ];
    });
    // Made by the leader, mirrored to the follower: both tabs show the same pending states.
    expect(await stateIn(b, ok!)).toMatchObject({ status: 'pending', pending: 1 });
    expect(await stateIn(b, bad!)).toMatchObject({ status: 'pending', pending: 1 });
    expect(await stateIn(a, ok!)).toMatchObject({ status: 'pending', pending: 1 });
    expect(await b.evaluate(() => (window as unknown as Tab).acks)).toEqual({});

    await a.evaluate(() => (window as unknown as Tab).db.sync.start());
    await until('the follower to see both settled', async () => {
      const [s1, s2] = [await stateIn(b, ok!), await stateIn(b, bad!)];
      return s1.status === 'synced' && s2.status === 'rejected';
    });
    expect(await stateIn(b, bad!)).toMatchObject({ status: 'rejected', code: 'forbidden' });
    await until('the follower’s server promises to settle', async () =>
      b.evaluate(() => Object.keys((window as unknown as Tab).acks).length === 2),
    );
    expect(await b.evaluate(() => (window as unknown as Tab).acks)).toEqual({
      ok: 'stored',
      bad: 'RejectedWriteError forbidden',
    });
    await ctx.close();
  });
});
