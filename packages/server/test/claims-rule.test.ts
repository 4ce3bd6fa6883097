import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { runCli, serveCli, type ServedCli } from './cliProcess.js';
import { CorePeer, SECRET, WORK_ORDER } from '../../../testing/server/harness.js';

/** The permission example of docs/protocol.md, verbatim: a documented rule must not leak. */
function documentedRules(): string {
  const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/protocol.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Permissions'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/protocol.md: no js block under "## Permissions"');
  return block;
}

const cliToken = async (...claims: string[]): Promise<string> => {
  const run = await runCli([
    'token',
    '--user',
    'u',
    '--tenant',
    'acme',
    ...claims.flatMap((c) => ['--claim', c]),
  ]);
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout.trim();
};

describe('the documented team rule with CLI-made tokens (real server, real pull)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-claims-'));
  let server: ServedCli;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    writeFileSync(join(dir, 'rules.mjs'), documentedRules());
    writeFileSync(join(dir, 'types.json'), JSON.stringify([WORK_ORDER]));
    server = await serveCli([
      '--data',
      join(dir, 'data'),
      '--config',
      join(dir, 'rules.mjs'),
      '--types',
      join(dir, 'types.json'),
    ]);
    const dispatcher = new CorePeer(server.url, await cliToken('role=dispatcher'), 'dispatcher');
    const changes = ['blue', 'lu', '', 'red'].map((team) => {
      const c = dispatcher.change(undefined, [
        { op: 'set', path: ['title'], value: `order of team "${team}"` },
        { op: 'set', path: ['team'], value: team },
      ]);
      ids[team] = c.doc;
      return c;
    });
    const pushed = await dispatcher.push(changes);
    expect(pushed.status).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a technician of team blue (teams[]=blue) reads team blue only, not "lu" nor ""', async () => {
    const tech = new CorePeer(server.url, await cliToken('teams[]=blue'), 'tech');
    await tech.pull();
    expect([...tech.docs.keys()]).toEqual([ids['blue']]);
  });

  it('two teams: both, and nothing else', async () => {
    const tech = new CorePeer(server.url, await cliToken('teams[]=blue,red'), 'tech2');
    await tech.pull();
    expect([...tech.docs.keys()].sort()).toEqual([ids['blue'], ids['red']].sort());
  });

  it('a token whose teams claim is a string (not made by the CLI) reads nothing: the rule fails closed', async () => {
    const handMade = await signToken(SECRET, { user: 'x', tenant: 'acme', claims: { teams: 'blue' } });
    const tech = new CorePeer(server.url, handMade, 'tech3');
    await tech.pull();
    expect(tech.docs.size).toBe(0);
  });
});
