import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEV_SECRET, SqliteEngine, startServer, type RunningServer } from '@fieldsync/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const APP_DIR = resolve(import.meta.dirname, '..');
export const BUILD_DIR = join(APP_DIR, 'build');
const REPO = resolve(APP_DIR, '../..');
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the key states (gitignored). */
export const OUTPUT = join(APP_DIR, 'test-output');

/**
 * Browser tests run where Chromium is; outside CI a machine without it skips them with a printed
 * reason, in CI (`CI=true`) they must run (a missing Chromium fails instead of skipping).
 */
export const skipReason: string | undefined =
  !existsSync(CHROMIUM) && process.env['CI'] !== 'true'
    ? `no Chromium at ${CHROMIUM} (install it, or set CI=true to make this a failure)`
    : undefined;

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.')) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

/** Builds the app (vite) unless build/ is newer than every input, as `npm start` does. */
export function ensureBuilt(): void {
  const index = join(BUILD_DIR, 'index.html');
  const inputs = [
    join(APP_DIR, 'src'),
    join(APP_DIR, 'static'),
    join(APP_DIR, 'svelte.config.js'),
    join(APP_DIR, 'vite.config.ts'),
    ...['core', 'client', 'svelte'].map((p) => join(REPO, 'packages', p, 'src')),
  ];
  if (existsSync(index) && Math.max(...inputs.map(newest)) <= statSync(index).mtimeMs) return;
  // A second build running at the same time (a developer's, another test file's) shares
  // .svelte-kit/ and can break this one: try again after it.
  let r = spawnSync('npm', ['run', 'build'], { cwd: APP_DIR, encoding: 'utf8' });
  for (let attempt = 1; r.status !== 0 && attempt < 3; attempt++) {
    spawnSync('sleep', ['10']);
    r = spawnSync('npm', ['run', 'build'], { cwd: APP_DIR, encoding: 'utf8' });
  }
  if (r.status !== 0) throw new Error(`building apps/workorders failed:\n${r.stdout}\n${r.stderr}`);
}

export interface AppServer extends RunningServer {
  dataDir: string;
}

/** The sync server in demo mode serving the built app, on a free port, with a fresh data dir. */
export async function startApp(): Promise<AppServer> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'fieldsync-app-test-'));
  const server = await startServer({
    storage: new SqliteEngine({ file: join(dataDir, 'db.sqlite'), synchronous: 'NORMAL' }),
    secret: DEV_SECRET,
    port: 0,
    app: BUILD_DIR,
    demo: true,
    heartbeatMs: 1000,
  });
  return {
    ...server,
    dataDir,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * One demo server and one Chromium for the enclosing `describe`: started before its tests, closed
 * after them. Read `env.server` and `env.browser` inside the tests (they are set in `beforeAll`).
 */
export function appAndBrowser(): { server: AppServer; browser: Browser } {
  const env = {} as { server: AppServer; browser: Browser };
  beforeAll(async () => {
    env.server = await startApp();
    env.browser = await launch();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** A phone-sized context (390×844, as the issue asks the screens to work at). */
export function phone(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 390, height: 844 } });
}

/** Opens the app and signs in as a demo user by the sign-in button's accessible name. */
export async function signIn(ctx: BrowserContext, url: string, firstName: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: `Sign in as ${firstName}` }).click();
  await page.getByRole('list', { name: 'Work orders' }).waitFor();
  return page;
}

/** Saves a screenshot under test-output/ (named after the state it shows). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
}

/** The sync indicator's state: offline | online | live. */
export async function syncState(page: Page): Promise<string | null> {
  return page.getByRole('status', { name: 'Sync status' }).getAttribute('data-state');
}

/** Waits until the page's sync indicator says live and nothing is waiting. */
export async function settled(page: Page, timeout = 20_000): Promise<void> {
  const status = page.getByRole('status', { name: 'Sync status' });
  try {
    await status.and(page.locator('[data-state="live"]')).waitFor({ timeout });
    await page.waitForFunction(
      () => /All changes sent/.test(document.querySelector('[data-state]')?.textContent ?? ''),
      undefined,
      { timeout },
    );
  } catch (e) {
    // Say what the indicator showed instead, and keep the screen for the post-mortem.
    const shown = await status.textContent({ timeout: 1000 }).catch(() => '(no sync status on the page)');
    await shot(page, `timeout-settled-${Date.now()}`).catch(() => undefined);
    throw new Error(`sync did not settle within ${timeout} ms; the indicator shows: ${shown}`, { cause: e });
  }
}
