import fc from 'fast-check';

/**
 * The one seed helper of every property test in the repository (core, client, server, app).
 *
 * A run draws one seed (or takes `FC_SEED`) and uses it for every property, so a failure anywhere
 * replays with `FC_SEED=<seed> npx vitest run <file>`. `FC_RUNS` overrides every suite's case
 * count, for a long soak. The seed is printed when a suite asks for its settings, and fast-check
 * prints seed and path of any counterexample.
 */
export const FC_SEED: number =
  process.env.FC_SEED !== undefined
    ? Number(process.env.FC_SEED)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const RUNS_OVERRIDE: number | undefined =
  process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : undefined;

if (!Number.isInteger(FC_SEED)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
if (RUNS_OVERRIDE !== undefined && (!Number.isInteger(RUNS_OVERRIDE) || RUNS_OVERRIDE < 1))
  throw new Error(`FC_RUNS must be a positive integer, got ${process.env.FC_RUNS}`);

// Properties asserted without explicit parameters use the same seed (and 1,000 cases).
fc.configureGlobal({ seed: FC_SEED, numRuns: RUNS_OVERRIDE ?? 1000 });

/** Logs the run's seed for a suite whose properties use the global settings (call in `beforeAll`). */
export function logSeed(suite: string): void {
  console.log(
    `[${suite}] fast-check seed=${FC_SEED} runs=${RUNS_OVERRIDE ?? 1000} (replay: FC_SEED=${FC_SEED})`,
  );
}

/**
 * Settings for one property: the run's seed and `defaultRuns` cases (or `FC_RUNS`). Logs them, so
 * the seed of a failing property is in the output next to it.
 */
export function fcParams(property: string, defaultRuns = 1000): { seed: number; numRuns: number } {
  const numRuns = RUNS_OVERRIDE ?? defaultRuns;
  console.log(`[${property}] fast-check seed=${FC_SEED} runs=${numRuns} (replay: FC_SEED=${FC_SEED})`);
  return { seed: FC_SEED, numRuns };
}
