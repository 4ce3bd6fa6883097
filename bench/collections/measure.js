import { performance } from 'node:perf_hooks';

export const now = () => performance.now();

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function gc() {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

export function heapUsed() {
  gc();
  return process.memoryUsage().heapUsed;
}

/** Median time of `fn(i)` over `n` calls, after `warm` warm-up calls and a full GC. */
export function timeMedian(n, fn, warm = Math.min(100, n)) {
  for (let i = 0; i < warm; i++) fn(i);
  gc(); // so no library pays for the garbage its (or another's) bulk load left behind
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    fn(i);
    t.push(now() - t0);
  }
  return median(t);
}
