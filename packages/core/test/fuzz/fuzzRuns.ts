import { fcParams } from '../../../../testing/fcSeed.js';

/**
 * Cases per property of core's decoder fuzzers, as for the server's endpoint fuzzer: `FUZZ_RUNS`
 * (`npm run fuzz` sets 10,000), else a small default so `npm test` stays fast. The seed is the
 * run's (testing/fcSeed.ts): printed per property, replayed with `FC_SEED`.
 */
const FUZZ_RUNS: number | undefined =
  process.env['FUZZ_RUNS'] !== undefined ? Number(process.env['FUZZ_RUNS']) : undefined;
if (FUZZ_RUNS !== undefined && (!Number.isInteger(FUZZ_RUNS) || FUZZ_RUNS < 1))
  throw new Error(`FUZZ_RUNS must be a positive integer, got ${process.env['FUZZ_RUNS']}`);

/** fast-check settings for one fuzzed property (`defaultRuns` when `FUZZ_RUNS` is not set). */
export function fuzzParams(property: string, defaultRuns = 100): { seed: number; numRuns: number } {
  return fcParams(property, FUZZ_RUNS ?? defaultRuns);
}

/**
 * The vitest timeout of a property run with `params`: `msPerCase` for each case (generous: the
 * machine is shared), never below the default minute.
 */
export function fuzzTimeout(params: { numRuns: number }, msPerCase: number): number {
  return Math.max(60_000, params.numRuns * msPerCase);
}
