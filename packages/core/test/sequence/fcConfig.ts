/**
 * Seeded fast-check settings. FC_SEED reproduces a run, FC_RUNS raises the number of runs; the
 * seed is printed so a failure in CI can be replayed locally.
 */
export function fcParams(name: string, defaultRuns = 1000): { seed: number; numRuns: number } {
  const seed =
    process.env.FC_SEED !== undefined
      ? Number(process.env.FC_SEED)
      : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const numRuns = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : defaultRuns;
  console.log(`[${name}] fast-check seed=${seed} runs=${numRuns} (reproduce with FC_SEED=${seed})`);
  return { seed, numRuns };
}
