import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appAndBrowser, phone, settled, shot, signIn, skipReason } from './harness.js';

if (skipReason) console.warn(`apps/workorders conflict.test skipped: ${skipReason}`);

const status = (p: Page) => p.getByRole('combobox', { name: 'Status', exact: true });
const notes = (p: Page) => p.getByRole('textbox', { name: 'Notes' });

async function open42(p: Page): Promise<void> {
  await p.getByRole('link', { name: /^#42 / }).click();
  await p.getByRole('heading', { level: 1, name: '#42 Replace pump seal' }).waitFor();
}

/** Types at the end of the notes, key by key, as a person would. */
async function typeAtEnd(p: Page, text: string): Promise<void> {
  await notes(p).click();
  await p.keyboard.press('ControlOrMeta+End');
  await p.keyboard.type(text, { delay: 15 });
}

describe.skipIf(skipReason !== undefined)('Anna and Ben edit #42 while Ben is offline', () => {
  const env = appAndBrowser();

  it('both screens converge and show the superseded status', async () => {
    const annaCtx = await phone(env.browser);
    const benCtx = await phone(env.browser);
    const anna = await signIn(annaCtx, env.server.url, 'Anna');
    const ben = await signIn(benCtx, env.server.url, 'Ben');
    await open42(anna);
    await open42(ben);
    await settled(anna);
    await settled(ben);

    await benCtx.setOffline(true);
    await ben
      .getByRole('status', { name: 'Sync status' })
      .and(ben.locator('[data-state="offline"]'))
      .waitFor();

    // Anna changes the status; Ben, offline, adds a note and a history entry.
    await status(anna).selectOption({ label: 'Scheduled' });
    await typeAtEnd(ben, ' Ben: gasket cracked.');
    await ben.getByRole('textbox', { name: 'History entry' }).fill('Ben on site, no signal');
    await ben.getByRole('button', { name: 'Add entry' }).click();
    await expect
      .poll(() => ben.getByRole('list', { name: 'History entries' }).textContent())
      .toContain('Ben on site, no signal');
    await shot(ben, 'conflict-1-ben-offline-edits');

    // Then both change the status and both type in the notes.
    await status(anna).selectOption({ label: 'On hold' });
    await typeAtEnd(anna, ' Anna: ordered seal kit.');
    await status(ben).selectOption({ label: 'In progress' });
    await typeAtEnd(ben, ' Ben: replaced seal.');
    await expect
      .poll(() => ben.getByRole('status', { name: 'Sync status' }).textContent())
      .toMatch(/\d+ waiting/);
    await shot(anna, 'conflict-2-anna-before-reconnect');
    await shot(ben, 'conflict-2-ben-before-reconnect');

    // Ben comes back.
    await benCtx.setOffline(false);
    await settled(ben, 30_000);
    await settled(anna, 30_000);

    // Converged: same status, same notes, every edit kept.
    await expect
      .poll(async () => (await status(anna).inputValue()) === (await status(ben).inputValue()))
      .toBe(true);
    const kept = await status(anna).inputValue();
    expect(['on_hold', 'in_progress']).toContain(kept);
    await expect
      .poll(async () => (await notes(anna).inputValue()) === (await notes(ben).inputValue()))
      .toBe(true);
    const text = await notes(anna).inputValue();
    for (const part of [
      'Seal on pump 2',
      'Ben: gasket cracked.',
      'Anna: ordered seal kit.',
      'Ben: replaced seal.',
    ])
      expect(text).toContain(part);
    await expect
      .poll(() => anna.getByRole('list', { name: 'History entries' }).textContent())
      .toContain('Ben on site, no signal');

    // The superseded status is visible on both screens, with both values and who wrote them.
    const loser = kept === 'on_hold' ? 'In progress' : 'On hold';
    for (const p of [anna, ben]) {
      const marker = p.getByRole('group', { name: 'Conflict on Status' });
      await marker.waitFor();
      await expect.poll(() => marker.textContent()).toMatch(new RegExp(`Superseded ${loser} by (Anna|Ben)`));
      await p.getByRole('button', { name: `Use ${loser}` }).waitFor();
    }
    await shot(anna, 'conflict-3-anna-converged');
    await shot(ben, 'conflict-3-ben-converged');
    await annaCtx.close();
    await benCtx.close();
  });
});
