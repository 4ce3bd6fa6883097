import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appAndBrowser, phone, settled, shot, signIn, skipReason, syncState } from './harness.js';

if (skipReason) console.warn(`apps/workorders offline-tabs.test skipped: ${skipReason}`);

const status = (p: Page) => p.getByRole('combobox', { name: 'Status', exact: true });

async function openOrder(p: Page, n: number): Promise<void> {
  await p.getByRole('link', { name: new RegExp(`^#${n} `) }).click();
  await p.getByRole('heading', { level: 1, name: new RegExp(`^#${n} `) }).waitFor();
}

const nav = (p: Page, name: string) =>
  p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

async function tabRole(p: Page): Promise<string> {
  await nav(p, 'Devtools');
  const dd = p.locator('dt', { hasText: 'Tab role' }).locator('xpath=following-sibling::dd[1]');
  await dd.waitFor();
  return (await dd.textContent())?.trim() ?? '';
}

describe.skipIf(skipReason !== undefined)('offline reload and tabs', () => {
  const env = appAndBrowser();

  it('a reload with no network shows every work order and the unsynced edits (service worker)', async () => {
    const ctx = await phone(env.browser);
    const anna = await signIn(ctx, env.server.url, 'Anna');
    await settled(anna);
    await anna.getByRole('status').filter({ hasText: '50 work orders' }).waitFor();
    // The service worker has cached the shell once it controls the page.
    await anna.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await anna.reload();
    await anna.waitForFunction(() => navigator.serviceWorker.controller !== null);

    await ctx.setOffline(true);
    await openOrder(anna, 42);
    await status(anna).selectOption({ label: 'Done' });
    await anna.getByRole('textbox', { name: 'History entry' }).fill('Finished offline');
    await anna.getByRole('button', { name: 'Add entry' }).click();
    await expect
      .poll(() => anna.getByRole('status', { name: 'Sync status' }).textContent())
      .toMatch(/\d+ waiting/);

    await anna.reload(); // no network: the service worker serves the app, IndexedDB the data
    await anna.getByRole('heading', { level: 1, name: '#42 Replace pump seal' }).waitFor();
    expect(await status(anna).inputValue()).toBe('done');
    expect(await anna.getByRole('list', { name: 'History entries' }).textContent()).toContain(
      'Finished offline',
    );
    expect(await syncState(anna)).toBe('offline');
    expect(await anna.getByRole('status', { name: 'Sync status' }).textContent()).toMatch(/\d+ waiting/);
    // Unsent work on storage the browser may evict: the app says so (issue 15).
    const persisted = await anna.evaluate(() => navigator.storage.persisted());
    await expect.poll(() => anna.getByTestId('storage-risk').count()).toBe(persisted ? 0 : 1);
    await shot(anna, 'offline-1-reloaded-detail');
    await anna.getByRole('link', { name: '← All work orders' }).click();
    await anna.getByRole('status').filter({ hasText: '50 work orders' }).waitFor();
    expect(await anna.getByRole('list', { name: 'Work orders' }).getByRole('link').count()).toBe(50);
    await shot(anna, 'offline-2-reloaded-list');

    // Back online, the edits made offline reach the server.
    await ctx.setOffline(false);
    await settled(anna, 30_000);
    await expect.poll(() => anna.getByTestId('storage-risk').count()).toBe(0); // nothing left at risk
    await ctx.close();
  });

  it('two tabs of one user: one syncs, both see each other’s edits; when it closes the other takes over', async () => {
    const ctx = await phone(env.browser);
    const first = await signIn(ctx, env.server.url, 'Ben');
    await settled(first);
    const second = await ctx.newPage();
    await second.goto(env.server.url); // same session (stored), same IndexedDB database
    await second.getByRole('list', { name: 'Work orders' }).waitFor();
    await settled(second);
    expect(await tabRole(first)).toBe('leader');
    expect(await tabRole(second)).toBe('follower');
    // One device, one sync connection (Anna's earlier context is closed).
    await expect.poll(() => env.server.context.hub.size).toBe(1);

    // An edit in either tab shows in the other at once.
    await nav(first, 'Orders');
    await nav(second, 'Orders');
    await openOrder(first, 7);
    await openOrder(second, 7);
    await status(second).selectOption({ label: 'On hold' });
    await expect.poll(() => status(first).inputValue()).toBe('on_hold');
    await status(first).selectOption({ label: 'Scheduled' });
    await expect.poll(() => status(second).inputValue()).toBe('scheduled');
    await shot(second, 'tabs-1-follower-sees-leader-edit');

    // The leader tab closes: the follower takes over syncing.
    await first.close();
    await expect.poll(() => tabRole(second), { timeout: 15_000 }).toBe('leader');
    await expect.poll(() => env.server.context.hub.size, { timeout: 15_000 }).toBe(1);
    await nav(second, 'Orders');
    await openOrder(second, 7);
    await status(second).selectOption({ label: 'In progress' });
    await settled(second);
    // Another device sees the edit the new leader pushed.
    const other = await signIn(await phone(env.browser), env.server.url, 'Dora');
    await openOrder(other, 7);
    await expect.poll(() => status(other).inputValue(), { timeout: 20_000 }).toBe('in_progress');
    await shot(second, 'tabs-2-took-over');
    await ctx.close();
  });
});
