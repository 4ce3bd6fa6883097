import fc from 'fast-check';

/**
 * Seeded property-test settings shared by the core suites. `FC_SEED` reproduces a run,
 * `FC_RUNS` raises the number of cases (default 1,000). The seed is logged at suite start and
 * fast-check prints seed and path of any counterexample, so every failure can be replayed.
 */
export const FC_SEED: number =
  process.env.FC_SEED !== undefined
    ? Number(process.env.FC_SEED)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
export const FC_RUNS: number = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 1000;

if (!Number.isInteger(FC_SEED)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
if (!Number.isInteger(FC_RUNS) || FC_RUNS < 1)
  throw new Error(`FC_RUNS must be a positive integer, got ${process.env.FC_RUNS}`);

fc.configureGlobal({ seed: FC_SEED, numRuns: FC_RUNS });

/** Logs the seed (call once per suite, e.g. in `beforeAll`). */
export function logSeed(suite: string): void {
  console.log(
    `[${suite}] fast-check seed ${FC_SEED}, ${FC_RUNS} runs per property (set FC_SEED / FC_RUNS to change)`,
  );
}
