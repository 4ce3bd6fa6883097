import { createChange, HybridLogicalClock, type Change } from '@fieldsync/core';
import { DEMO_TYPES } from '@fieldsync/server';
import { describe, expect, it } from 'vitest';
import { appAndBrowser, phone, settled, signIn, skipReason } from './harness.js';

if (skipReason) console.warn(`apps/workorders first-sync.test skipped: ${skipReason}`);

/** Extra work orders on top of the 50 seeded: four pull pages of the server's 1,000. */
const EXTRA = 4000;
const TOTAL = EXTRA + 50;

/** Pushes work orders #51…#(50 + EXTRA) as Dora, the way the app benchmark seeds its tenant. */
async function seed(url: string): Promise<void> {
  const res = await fetch(`${url}/v1/demo/sign-in`, {
    method: 'POST',
    body: JSON.stringify({ user: 'dora' }),
  });
  const { token } = (await res.json()) as { token: string };
  const type = DEMO_TYPES.find((t) => t.name === 'workOrder');
  if (!type) throw new Error('no workOrder demo type');
  const clock = new HybridLogicalClock({ replica: 'first-sync-seed' });
  let batch: Change[] = [];
  const flush = async (): Promise<void> => {
    const r = await fetch(`${url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ changes: batch }),
    });
    if (r.status !== 200) throw new Error(`seed push: ${r.status} ${await r.text()}`);
    batch = [];
  };
  for (let n = 51; n <= TOTAL; n++) {
    batch.push(
      createChange({
        clock,
        type,
        doc: undefined,
        docId: `wo-s${n}`,
        intents: [
          { op: 'set', path: ['number'], value: n },
          { op: 'set', path: ['title'], value: `Synced order ${n}` },
          { op: 'set', path: ['status'], value: 'open' },
          { op: 'set', path: ['notes'], value: `Notes of order ${n}.` },
        ],
      }),
    );
    if (batch.length === 1000) await flush();
  }
  if (batch.length > 0) await flush();
}

describe.skipIf(skipReason !== undefined)('first sync of a large tenant', () => {
  const env = appAndBrowser();

  it('ends with the complete list, newest first, although the list re-renders at most once a second while pulling', async () => {
    await seed(env.server.url);
    const ctx = await phone(env.browser);
    const page = await signIn(ctx, env.server.url, 'Anna');
    await page
      .getByRole('status')
      .filter({ hasText: `${TOTAL} work orders` })
      .waitFor({ timeout: 30_000 });
    await settled(page);
    // Nothing pulled was left out of what the list shows once the pull is over.
    const numbers = await page.getByRole('list', { name: 'Work orders' }).locator('.num').allTextContents();
    expect(numbers).toEqual(Array.from({ length: 100 }, (_, i) => `#${TOTAL - i}`));
    expect(await page.getByRole('button', { name: /^Show more/ }).textContent()).toBe(
      `Show more (${TOTAL - 100} more)`,
    );
    const first = page.getByRole('link', { name: new RegExp(`^#${TOTAL} `) });
    expect(await first.textContent()).toContain(`Synced order ${TOTAL}`);
    await ctx.close();
  });
});
