import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';

/** The Chromium the browser tests drive, overridable for other machines. */
export const CHROMIUM_PATH = process.env['FIELDSYNC_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Whether Chromium can be run. When it cannot, browser tests are reported as skipped with the
 * reason printed, so `npm test` passes on a machine without it — unless CI (or
 * FIELDSYNC_REQUIRE_CHROMIUM) is set: there a missing browser throws, so the file fails instead
 * of silently testing nothing (as `pgReachable` does for PostgreSQL).
 */
export function chromiumAvailable(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch (e) {
    const reason = `no runnable Chromium at ${CHROMIUM_PATH} (${(e as NodeJS.ErrnoException).code ?? String(e)}); set FIELDSYNC_TEST_CHROMIUM to its path`;
    if (process.env['CI'] || process.env['FIELDSYNC_REQUIRE_CHROMIUM'])
      throw new Error(`Chromium required but unavailable: ${reason}`);
    console.warn(`[fieldsync tests] ${reason}; browser tests skipped`);
    return false;
  }
}

/** The flags every browser test (and bench) runs Chromium with. */
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Launches headless Chromium with the flags every browser test uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}

/** Chromium as a child process of its own, with an on-disk profile, driven over CDP. */
export interface ChromiumProcess {
  browser: Browser;
  /** The profile's default context (on disk: IndexedDB survives a kill and a relaunch). */
  context: BrowserContext;
  /** SIGKILL the browser process (no shutdown: a crashed device or a killed tab). */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Launches Chromium on `userDataDir` as a plain child process (the same flags as
 * `launchChromium`) and connects to it over the DevTools protocol, so a test can SIGKILL the
 * real browser process and relaunch it on the same profile.
 */
export async function launchChromiumProcess(userDataDir: string): Promise<ChromiumProcess> {
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...FLAGS,
      '--remote-debugging-port=0',
      `--user-data-dir=${userDataDir}`,
      '--no-first-run',
      '--no-default-browser-check',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ws = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${err}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}): ${err}`));
    });
  });
  const browser = await chromium.connectOverCDP(ws);
  const context = browser.contexts()[0];
  if (!context) throw new Error('Chromium has no default context');
  return {
    browser,
    context,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async close() {
      await browser.close().catch(() => undefined);
      child.kill('SIGTERM');
      await exited;
    },
  };
}
