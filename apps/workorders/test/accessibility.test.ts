import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appAndBrowser, phone, settled, shot, signIn, skipReason } from './harness.js';

if (skipReason) console.warn(`apps/workorders accessibility.test skipped: ${skipReason}`);

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** axe-core injected into the page; the serious and critical violations, described. */
async function serious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: Violation[] }> } })
      .axe;
    return (await axe.run(document)).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
}

const nav = (p: Page, name: string) =>
  p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

describe.skipIf(skipReason !== undefined)('accessibility of every screen (axe-core, at 390×844)', () => {
  const env = appAndBrowser();

  it('no serious or critical violation on any screen', async () => {
    const found: Record<string, string[]> = {};
    const check = async (page: Page, screen: string): Promise<void> => {
      await shot(page, `a11y-${screen}`);
      found[screen] = await serious(page);
    };
    const ctx = await phone(env.browser);
    const signInPage = await ctx.newPage();
    await signInPage.goto(env.server.url);
    await signInPage.getByRole('button', { name: 'Sign in as Adam' }).waitFor();
    await check(signInPage, 'sign-in');
    await signInPage.close();

    const adam = await signIn(ctx, env.server.url, 'Adam');
    await settled(adam);
    await check(adam, 'work-order-list');
    await adam.getByRole('link', { name: /^#42 / }).click();
    await adam.getByRole('heading', { level: 1, name: '#42 Replace pump seal' }).waitFor();
    await check(adam, 'work-order-detail');
    await nav(adam, 'Records');
    await adam.getByRole('heading', { level: 1 }).waitFor();
    await check(adam, 'records');
    await nav(adam, 'Types');
    await adam.getByRole('heading', { level: 1, name: 'Types' }).waitFor();
    await check(adam, 'types');
    await nav(adam, 'Devtools');
    await adam.getByRole('heading', { level: 1 }).waitFor();
    await check(adam, 'devtools');
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(Object.keys(found)).toHaveLength(6);
    await ctx.close();
  });
});
