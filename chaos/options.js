import { freshSeed } from './random.js';

/**
 * @typedef {{
 *   seed: number;
 *   short: boolean;
 *   engines: Array<'sqlite' | 'postgres'>;
 *   clients: number;
 *   chaosMs: number;
 *   convergeMs: number;
 *   budgetMs: number;
 *   writeMeanMs: number;
 *   heartbeatMs: number;
 *   sharedDocs: number;
 *   keep: boolean;
 *   without: string[];
 *   pgUrl: string;
 * }} ChaosOptions
 */

/** Faults that `--without` can leave out (for diagnosis: which fault breaks what). */
export const FAULTS = ['cut', 'blackhole', 'delay', 'drop', 'client-kill', 'server-kill', 'restore'];

const USAGE = `npm run chaos -- [SEED] [--short] [--engine sqlite|postgres|both] [--clients N] [--keep]

  SEED       integer; replays the same decisions (faults, writes); timing between processes varies
  --short    the CI run: SQLite only, ≤ 3 minutes
  --engine   default: both for the full run (SQLite, then PostgreSQL with two server processes)
  --keep     keep the run directory (logs, ledger, client and server data) even when it passes;
             it is always kept when the run fails
  --without  F[,F]  diagnosis only: leave out faults (${FAULTS.join(', ')}); the run says
             loudly that it is incomplete`;

/**
 * Parses the command line (`node chaos/run.js [seed] [--short] ...`).
 * @param {string[]} argv
 * @returns {ChaosOptions}
 */
export function parseOptions(argv) {
  let seed;
  let short = false;
  let engine;
  let clients = 20;
  let keep = false;
  /** @type {string[]} */
  let without = [];
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    if (a === '--short') short = true;
    else if (a === '--keep') keep = true;
    else if (a === '--engine') engine = argv[++i];
    else if (a.startsWith('--engine=')) engine = a.slice('--engine='.length);
    else if (a === '--clients') clients = Number(argv[++i]);
    else if (a === '--without') without = String(argv[++i] ?? '').split(',');
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (/^\d+$/.test(a)) seed = Number(a);
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  if (!Number.isInteger(clients) || clients < 2 || clients > 64) throw new Error('--clients must be 2..64');
  for (const f of without)
    if (!FAULTS.includes(f)) throw new Error(`--without: unknown fault "${f}"\n${USAGE}`);
  engine ??= short ? 'sqlite' : 'both';
  if (engine !== 'sqlite' && engine !== 'postgres' && engine !== 'both')
    throw new Error(`--engine must be sqlite, postgres or both, got "${engine}"`);
  /** @type {Array<'sqlite' | 'postgres'>} */
  const engines = engine === 'both' ? ['sqlite', 'postgres'] : [engine];
  return {
    seed: seed ?? freshSeed(),
    short,
    engines,
    clients,
    // Per engine: fault injection, then the deadline to heal, flush and converge.
    chaosMs: short ? 70_000 : 180_000,
    convergeMs: short ? 60_000 : 120_000,
    // Whole run, hard: past it the run reports what it has and fails.
    budgetMs: short ? 178_000 : engines.length * 330_000,
    writeMeanMs: 400,
    // The server's SSE heartbeat: a stream silent for two of them is dead (issue 11).
    heartbeatMs: 3000,
    sharedDocs: 8,
    keep,
    without,
    pgUrl: process.env['FIELDSYNC_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
}
