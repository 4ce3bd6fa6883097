import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@fieldsync/client';
import { chromiumAvailable, launchChromium } from '../../testing/browser/chromium.js';

/**
 * docs/quickstart.md, executed: every fenced block marked `quickstart:NAME` is used as written.
 * `quickstart:FILE` blocks are saved under a fresh directory (whose node_modules is the
 * repository's, as in a folder inside a clone); shell blocks run in bash there, line by line,
 * with the same environment the reader's terminal would have; `quickstart:output:FILE` is what
 * `node FILE` must print; the browser block runs in real Chromium. Only three things differ
 * from a reader's terminal, all for a test's sake: `npx fieldsync` / `npx esbuild` run the
 * repository's own built binaries (never the registry), the server listens on port 0, and its
 * URL replaces `http://127.0.0.1:8787`.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'packages/server/dist/cli.js');
const BIN = join(ROOT, 'node_modules/.bin');
for (const built of [CLI, join(ROOT, 'packages/client/dist/index.js')])
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);

interface Block {
  lang: string;
  name: string;
  body: string;
}

function quickstartBlocks(): Map<string, Block> {
  const text = readFileSync(join(ROOT, 'docs/quickstart.md'), 'utf8');
  const blocks = new Map<string, Block>();
  for (const m of text.matchAll(/^```(\w+) quickstart:(\S+)\n([\s\S]*?)^```$/gm)) {
    const [, lang, name, body] = m as unknown as [string, string, string, string];
    if (blocks.has(name)) throw new Error(`docs/quickstart.md: two blocks named quickstart:${name}`);
    blocks.set(name, { lang, name, body });
  }
  return blocks;
}

const blocks = quickstartBlocks();
function block(name: string): Block {
  const b = blocks.get(name);
  if (!b) throw new Error(`docs/quickstart.md: no block quickstart:${name}`);
  return b;
}

/** Shell lines of a block (comments and blank lines dropped), `npx <bin>` pointed at our binaries. */
function commands(name: string, url: string): string[] {
  return block(name)
    .body.split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) =>
      l
        .replaceAll('npx fieldsync', `node ${JSON.stringify(CLI)}`)
        .replace(/\bnpx (\w+)/g, (_, bin: string) => JSON.stringify(join(BIN, bin)))
        .replaceAll('http://127.0.0.1:8787', url),
    );
}

/** Normalizes printed output for comparison (line ends, trailing spaces). */
const lines = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();

/** The reader's folder (made in beforeAll, so a file that fails to load leaves nothing behind). */
let dir = '';
/** The `export` lines run so far: what the reader's second terminal has in its environment. */
let exports = '';
let server: ChildProcess | undefined;
let url = '';
let serverOutput = '';

function bash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // FIELDSYNC_JWT_SECRET unset, as in the reader's terminal: server and tokens use the dev secret.
  const env = { ...process.env };
  delete env['FIELDSYNC_JWT_SECRET'];
  return new Promise((done) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd: dir, env, timeout: 60_000 },
      (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function run(line: string): Promise<string> {
  const out = await bash(`${exports}\n${line}`);
  if (out.code !== 0) throw new Error(`"${line}" failed (${out.code}):\n${out.stderr}${out.stdout}`);
  return out.stdout;
}

/** Runs a terminal block: exports are kept for later blocks; `node FILE` output is checked. */
async function terminal(name: string): Promise<Map<string, string>> {
  const printed = new Map<string, string>();
  for (const line of commands(name, url)) {
    if (line.startsWith('export ')) {
      await run(line); // fails the test if the command in $(…) fails
      exports += `${line}\n`;
      continue;
    }
    const stdout = await run(line);
    const file = /^node (\S+\.mjs)$/.exec(line)?.[1];
    if (file !== undefined) {
      expect(lines(stdout), `output of node ${file}`).toBe(lines(block(`output:${file}`).body));
    }
    printed.set(line, stdout);
  }
  return printed;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldsync-quickstart-'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const b of blocks.values()) {
    if (b.lang === 'sh' || b.name.startsWith('output:')) continue;
    const file = join(dir, b.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, b.body);
  }
  for (const line of commands('bundle', '')) await run(line);

  // Terminal 1: everything before `serve` runs as is; `serve` is started on port 0.
  for (const line of commands('terminal-1', '')) {
    if (!line.includes(' serve')) {
      await run(line);
      continue;
    }
    const env = { ...process.env };
    delete env['FIELDSYNC_JWT_SECRET'];
    const child = spawn('bash', ['-c', `exec ${line} --port 0`], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not start: ${serverOutput}`)), 20_000);
      const onData = (b: Buffer): void => {
        serverOutput += b.toString();
        const m = /listening on (http:\/\/\S+)/.exec(serverOutput);
        if (m?.[1]) {
          clearTimeout(timer);
          ok(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`server exited with ${code}: ${serverOutput}`));
      });
    });
  }
  if (!url) throw new Error('docs/quickstart.md: terminal-1 starts no server');
});

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('docs/quickstart.md, run as written', () => {
  it('the Node.js client on SQLite syncs through `fieldsync serve` and prints what the doc shows', async () => {
    await terminal('terminal-2');
    expect(existsSync(join(dir, 'anna.sqlite'))).toBe(true);
    expect(serverOutput).toContain('development secret'); // the doc says the server warns
  });

  describe.skipIf(!chromiumAvailable())('in real Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('the browser client on IndexedDB shows the synced orders live, and its own write reaches the server', async () => {
      const printed = await terminal('open-browser');
      const link = [...printed.values()].join('').trim();
      expect(link.startsWith(`${url}/#token=`)).toBe(true);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(link);
      const items = page.locator('#orders li');
      await expect
        .poll(() => items.allTextContents(), { timeout: 15_000 })
        .toEqual(['Annual boiler check: open, 0 notes', 'Replace pump seal: open, 2 notes']);
      await page.fill('input[name=title]', 'Check valve');
      await page.click('button');
      await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(3);
      expect(errors).toEqual([]);

      // A third client (in this process) pulls Ben's browser write from the server.
      const token = (await run('echo "$ANNA_TOKEN"')).trim();
      const check = await createDatabase({ name: 'check', sync: { url, token, autoStart: false } });
      await expect
        .poll(
          async () => {
            await check.sync!.flush();
            return (
              check.typeFor('workOrder') && check.collection('workOrder').findOne({ title: 'Check valve' })
            );
          },
          { timeout: 15_000 },
        )
        .toMatchObject({ status: 'open', notes: [] });
      await check.close();
      await page.close();
    });
  });

  it('two devices edit one field offline; both converge and conflicts() shows the loser', async () => {
    await terminal('terminal-2b');
  });
});
