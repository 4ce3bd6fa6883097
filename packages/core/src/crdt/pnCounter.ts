/**
 * PN-counter (quantities, stock): each replica keeps its own running totals of increments `p`
 * and decrements `n`; the value is Σp − Σn and the join takes the per-replica maximum. A change
 * carries the writer's new totals (not the amount), so applying it twice counts once.
 * The writer must apply its own change before creating the next one (the client always does).
 */
export interface CounterState {
  k: 'c';
  p: Record<string, number>;
  n: Record<string, number>;
}

/** An empty counter. */
export function emptyCounter(): CounterState {
  return { k: 'c', p: {}, n: {} };
}

function maxMap(x: Record<string, number>, y: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...x };
  for (const r in y) {
    const v = y[r] as number;
    const c = out[r];
    if (c === undefined || v > c) out[r] = v;
  }
  return out;
}

/** Join: per-replica maximum of both totals. Pure. */
export function mergeCounter(a: CounterState, b: CounterState): CounterState {
  if (a === b) return a;
  return { k: 'c', p: maxMap(a.p, b.p), n: maxMap(a.n, b.n) };
}

/** The delta that adds `by` for `replica` on top of `current`. */
export function counterInc(current: CounterState | undefined, replica: string, by: number): CounterState {
  if (by >= 0) return { k: 'c', p: { [replica]: (current?.p[replica] ?? 0) + by }, n: {} };
  return { k: 'c', p: {}, n: { [replica]: (current?.n[replica] ?? 0) - by } };
}

/** The counter's value. Sums in sorted replica order so every replica gets the same float. */
export function counterValue(c: CounterState): number {
  let v = 0;
  for (const r of Object.keys(c.p).sort()) v += c.p[r] as number;
  for (const r of Object.keys(c.n).sort()) v -= c.n[r] as number;
  return v;
}
