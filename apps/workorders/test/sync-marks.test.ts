import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appAndBrowser, phone, settled, shot, signIn, skipReason } from './harness.js';

if (skipReason) console.warn(`apps/workorders sync-marks.test skipped: ${skipReason}`);

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious and critical axe-core violations on the page as it is now. */
async function serious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    type V = { id: string; impact: string | null; nodes: Array<{ target: unknown[] }> };
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: V[] }> } }).axe;
    return (await axe.run(document)).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

const marks = (p: Page) => p.locator('[data-testid="syncmark"]');
const row = (p: Page, n: number) =>
  p.getByRole('list', { name: 'Work orders' }).getByRole('link', { name: new RegExp(`^#${n} `) });

describe.skipIf(skipReason !== undefined)('unsynced work orders are marked (issue 17)', () => {
  const env = appAndBrowser();

  it('offline edits mark the order in the list and the detail, the indicator lists what waits, and reconnecting clears both', async () => {
    const ctx = await phone(env.browser);
    const anna = await signIn(ctx, env.server.url, 'Anna');
    await settled(anna);
    await anna.getByRole('status').filter({ hasText: '50 work orders' }).waitFor();
    expect(await marks(anna).count()).toBe(0);

    await ctx.setOffline(true);
    await row(anna, 42).click();
    await anna.getByRole('heading', { level: 1, name: '#42 Replace pump seal' }).waitFor();
    await anna.getByRole('combobox', { name: 'Status', exact: true }).selectOption({ label: 'Done' });
    // The detail page marks it as soon as the change is queued.
    const detailMark = marks(anna);
    await detailMark.waitFor();
    expect(await detailMark.textContent()).toContain('Not synced');
    expect(await detailMark.getAttribute('title')).toMatch(/^1 change waiting since /);
    await shot(anna, 'syncstate-1-detail-mark');

    await anna.getByRole('link', { name: '← All work orders' }).click();
    await anna.getByRole('status').filter({ hasText: '50 work orders' }).waitFor();
    expect(await row(anna, 42).locator('[data-testid="syncmark"]').textContent()).toContain('Not synced');
    expect(await marks(anna).count()).toBe(1); // only the edited order
    // The mark is part of the row's accessible name, not colour alone.
    expect(await row(anna, 42).getAttribute('href')).toMatch(/^\/orders\//);
    await shot(anna, 'syncstate-2-list-mark');

    // The sync indicator opens the list of records still waiting.
    const waiting = anna.getByRole('button', { name: /waiting: show the records not on the server yet/ });
    await waiting.click();
    expect(await waiting.getAttribute('aria-expanded')).toBe('true');
    const list = anna.getByRole('list', { name: 'Records waiting to sync' });
    await list.waitFor();
    expect(await list.getByRole('link').allTextContents()).toEqual(['#42 Replace pump seal']);
    expect(await list.textContent()).toMatch(/1 change, oldest /);
    await shot(anna, 'syncstate-3-waiting-list');
    expect(await serious(anna)).toEqual([]);

    // Back online: the change reaches the server, the marks and the list empty.
    await ctx.setOffline(false);
    await settled(anna, 30_000);
    await expect.poll(() => marks(anna).count()).toBe(0);
    await anna.getByRole('heading', { name: 'Not on the server yet' }).waitFor();
    expect(await anna.getByText('Every record is on the server.').count()).toBe(1);
    await shot(anna, 'syncstate-4-synced');
    await ctx.close();
  });

  it('an admin adds a field at a position; every record form shows it there (field order is part of the type)', async () => {
    const ctx = await phone(env.browser);
    const adam = await signIn(ctx, env.server.url, 'Adam');
    await settled(adam);
    await adam
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Types', exact: true })
      .click();
    await adam.getByRole('combobox', { name: 'Type to evolve' }).selectOption('site');
    await adam.getByRole('textbox', { name: 'New field name' }).fill('phone');
    await adam.getByRole('combobox', { name: 'Position in forms' }).selectOption({ label: 'After Name' });
    await adam.getByRole('button', { name: 'Add field' }).click();
    await adam.getByRole('status').filter({ hasText: 'site is now version 2' }).waitFor();
    await settled(adam);
    await adam
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Records', exact: true })
      .click();
    await adam.getByRole('list', { name: 'Types' }).getByRole('link', { name: /^Site/ }).click();
    await adam.getByRole('link', { name: 'Harbour Pumping Station' }).click();
    await adam.getByRole('heading', { level: 1, name: 'Harbour Pumping Station' }).waitFor();
    const labels = await adam
      .locator('main label')
      .evaluateAll((els) => els.map((e) => (e.firstChild?.textContent ?? '').trim()).filter((t) => t !== ''));
    const at = (l: string) => labels.indexOf(l);
    expect(at('Name')).toBeGreaterThanOrEqual(0);
    expect(at('Phone')).toBe(at('Name') + 1);
    await shot(adam, 'syncstate-5-field-position');
    await ctx.close();
  });
});
