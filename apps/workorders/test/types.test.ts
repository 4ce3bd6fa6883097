import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appAndBrowser, phone, settled, shot, signIn, skipReason } from './harness.js';

if (skipReason) console.warn(`apps/workorders types.test skipped: ${skipReason}`);

const nav = (p: Page, name: string) =>
  p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

async function openInspections(p: Page): Promise<void> {
  await nav(p, 'Records');
  await p
    .getByRole('list', { name: 'Types' })
    .getByRole('link', { name: /^Inspection/ })
    .click();
  await p.getByRole('heading', { level: 1, name: 'Inspection' }).waitFor();
}

/** The generated form's fields, by accessible role and name. */
const field = (p: Page, label: string) => p.getByRole('textbox', { name: label, exact: true });
const choice = (p: Page, label: string) => p.getByRole('combobox', { name: label, exact: true });

describe.skipIf(skipReason !== undefined)(
  'no-code types: the admin defines "Inspection", Ben works offline',
  () => {
    const env = appAndBrowser();

    it('Ben receives the type on reconnect, validates offline, and his record lands under the renamed field', async () => {
      const adamCtx = await phone(env.browser);
      const benCtx = await phone(env.browser);
      const adam = await signIn(adamCtx, env.server.url, 'Adam');
      const ben = await signIn(benCtx, env.server.url, 'Ben');
      await settled(adam);
      await settled(ben);
      await benCtx.setOffline(true);

      // The admin creates the type: three fields, two of them required.
      await nav(adam, 'Types');
      await adam.getByRole('textbox', { name: 'Type name' }).fill('Inspection');
      await adam.getByRole('textbox', { name: 'Field 1 name' }).fill('location');
      await adam.getByRole('combobox', { name: 'Field 1 kind' }).selectOption('string');
      await adam.getByRole('checkbox', { name: 'Field 1 required' }).check();
      await adam.getByRole('button', { name: 'Add another field' }).click();
      await adam.getByRole('textbox', { name: 'Field 2 name' }).fill('result');
      await adam.getByRole('combobox', { name: 'Field 2 kind' }).selectOption('enum');
      await adam.getByRole('textbox', { name: 'Field 2 values' }).fill('pass, fail');
      await adam.getByRole('checkbox', { name: 'Field 2 required' }).check();
      await adam.getByRole('button', { name: 'Add another field' }).click();
      await adam.getByRole('textbox', { name: 'Field 3 name' }).fill('remarks');
      await adam.getByRole('combobox', { name: 'Field 3 kind' }).selectOption('string');
      await adam.getByRole('button', { name: 'Create type' }).click();
      await adam.getByRole('status').filter({ hasText: 'Created Inspection (version 1).' }).waitFor();
      await shot(adam, 'types-1-admin-created-inspection');

      // … and a record of it.
      await openInspections(adam);
      await field(adam, 'Location').fill('Pump room B');
      await choice(adam, 'Result').selectOption('pass');
      await field(adam, 'Remarks').fill('All good');
      await adam.getByRole('button', { name: 'Save inspection' }).click();
      await adam.getByRole('heading', { name: '1 record' }).waitFor();
      await settled(adam);

      // Ben was offline: nothing of it yet. He reconnects and receives type and record.
      await nav(ben, 'Records');
      expect(
        await ben
          .getByRole('list', { name: 'Types' })
          .getByRole('link', { name: /^Inspection/ })
          .count(),
      ).toBe(0);
      await benCtx.setOffline(false);
      await settled(ben, 30_000);
      await openInspections(ben);
      await ben.getByRole('heading', { name: '1 record' }).waitFor();
      await ben.getByRole('link', { name: 'Pump room B' }).waitFor();

      // Offline again, Ben fills the form: the type's rules are checked on the device.
      await benCtx.setOffline(true);
      await field(ben, 'Remarks').fill('Valve seized, replaced');
      await ben.getByRole('button', { name: 'Save inspection' }).click();
      const problem = ben.getByRole('alert').first();
      await problem.waitFor();
      expect(await field(ben, 'Location').getAttribute('aria-invalid')).toBe('true');
      await shot(ben, 'types-2-ben-offline-validation');
      await field(ben, 'Location').fill('Boiler house');
      await choice(ben, 'Result').selectOption('fail');
      await ben.getByRole('button', { name: 'Save inspection' }).click();
      await ben.getByRole('heading', { name: '2 records' }).waitFor();
      await expect
        .poll(() => ben.getByRole('status', { name: 'Sync status' }).textContent())
        .toMatch(/\d+ waiting/);

      // While Ben is offline the admin renames remarks → findings.
      await nav(adam, 'Types');
      await adam.getByRole('combobox', { name: 'Type to evolve' }).selectOption('Inspection');
      await adam.getByRole('button', { name: 'Rename remarks' }).click();
      await adam.getByRole('textbox', { name: 'New name for remarks' }).fill('findings');
      await adam.getByRole('button', { name: 'Save name' }).click();
      await adam.getByRole('status').filter({ hasText: 'Inspection is now version 2' }).waitFor();
      await settled(adam);

      // Ben comes back: his record, written under v1 as "remarks", lands under "findings".
      await benCtx.setOffline(false);
      await settled(ben, 30_000);
      await openInspections(adam);
      await adam.getByRole('heading', { name: '2 records' }).waitFor({ timeout: 30_000 });
      const row = adam.getByRole('row').filter({ hasText: 'Boiler house' });
      await row.waitFor();
      await adam.getByRole('columnheader', { name: 'Findings' }).waitFor();
      expect(await adam.getByRole('columnheader', { name: 'Remarks' }).count()).toBe(0);
      expect(await row.textContent()).toContain('Valve seized, replaced');
      await shot(adam, 'types-3-admin-sees-bens-record-renamed');
      // Ben's device shows it under the new name too.
      await openInspections(ben);
      await ben.getByRole('columnheader', { name: 'Findings' }).waitFor({ timeout: 30_000 });
      expect(await ben.getByRole('row').filter({ hasText: 'Boiler house' }).textContent()).toContain(
        'Valve seized, replaced',
      );
      await adamCtx.close();
      await benCtx.close();
    });
  },
);
