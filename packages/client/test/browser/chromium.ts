import { accessSync, constants } from 'node:fs';
import type { Browser } from 'playwright-core';
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

/** Launches headless Chromium with the flags every browser test uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
