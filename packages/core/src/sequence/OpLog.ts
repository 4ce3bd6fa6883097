/** A numeric column: 32-bit while its values fit, widened to 64-bit floats otherwise. */
type Column = Uint32Array | Float64Array;

/**
 * Every applied operation in integration order (a causal order), as typed parallel columns
 * rather than an object per operation: the log is as long as the history, and typed arrays cost
 * the garbage collector nothing to trace. An insert is found again by its id (agent, seq) in the
 * agent's inserts, so it is never stale; a delete keeps its targets in one shared pool of
 * numbers (a count, then agent/seq/len triples), not an array per delete.
 */
export class OpLog {
  length = 0;
  /** `agent << 2 | kind` (kind 0 insert, 1 delete, 2 claim). */
  private ka = new Uint32Array(16);
  /**
   * First ids (read them through {@link seqAt}). Ids are safe integers, but beyond 2^32 only
   * after billions of operations: the column is 32-bit until a larger id arrives, then 64-bit.
   */
  private seq: Column = new Uint32Array(16);
  /** Lengths fit 32 bits: a new operation is shorter, and {@link canGrow} stops merging before. */
  len = new Uint32Array(16);
  /** For a delete: index in `pool` of its target count (its triples follow). */
  private at = new Uint32Array(16);
  /** Delete targets (ids again: 32-bit until a larger value arrives). */
  private pool: Column = new Uint32Array(16);
  private poolLen = 0;

  /**
   * The first id of operation `k`, as a small integer whenever it fits one. V8's interpreter
   * boxes every float64 element it reads into a heap number; one boxed id stored in a run or an
   * operation object turns that field into a boxed double field for every object of its shape.
   */
  seqAt(k: number): number {
    const s = this.seq[k] as number;
    return s <= 0x3fffffff ? s | 0 : s;
  }

  kind(k: number): number {
    return (this.ka[k] as number) & 3;
  }

  agent(k: number): number {
    return (this.ka[k] as number) >>> 2;
  }

  /** Appends an operation (a delete with its flat target triples); returns its index. */
  push(kind: 0 | 1 | 2, agent: number, seq: number, len: number, targets: readonly number[] | null): number {
    const k = this.length;
    if (k === this.seq.length) this.grow();
    this.ka[k] = ((agent << 2) | kind) >>> 0;
    if (seq > 0xffffffff) this.seq = widen(this.seq);
    this.seq[k] = seq;
    this.len[k] = len;
    if (kind === 1) {
      const t = targets as readonly number[];
      this.reserve(1 + t.length);
      const at = this.poolLen;
      this.at[k] = at;
      this.pool[at] = t.length / 3;
      for (let i = 0; i < t.length; i++) this.putPool(at + 1 + i, t[i] as number);
      this.poolLen = at + 1 + t.length;
    }
    this.length = k + 1;
    return k;
  }

  /** Whether operation `k` may absorb `n` more ids (the merged length must fit its column). */
  canGrow(k: number, n: number): boolean {
    return (this.len[k] as number) + n <= 0xffffffff;
  }

  /** Number of target triples of delete `k`. */
  targetCount(k: number): number {
    return this.pool[this.at[k] as number] as number;
  }

  /** Component `c` (0 agent, 1 seq, 2 len) of target triple `i` of delete `k`. */
  target(k: number, i: number, c: number): number {
    return this.pool[(this.at[k] as number) + 1 + 3 * i + c] as number;
  }

  /** Delete `k`'s targets as flat triples (a copy). */
  targets(k: number): number[] {
    const n = this.targetCount(k) * 3;
    const from = (this.at[k] as number) + 1;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.pool[from + i] as number;
    return out;
  }

  /**
   * Adds an id range to the targets of the LAST operation (a delete), merging with its last
   * range when they touch: consecutive deletes by one replica become one operation.
   */
  addLastTarget(a: number, s: number, l: number): void {
    const pool = this.pool;
    const n = this.poolLen;
    const count = this.at[this.length - 1] as number;
    if ((pool[count] as number) > 0 && pool[n - 3] === a) {
      if ((pool[n - 2] as number) + (pool[n - 1] as number) === s) {
        this.putPool(n - 1, (pool[n - 1] as number) + l);
        return;
      }
      if (s + l === pool[n - 2]) {
        this.putPool(n - 2, s);
        this.putPool(n - 1, (pool[n - 1] as number) + l);
        return;
      }
    }
    this.reserve(3);
    this.putPool(n, a);
    this.putPool(n + 1, s);
    this.putPool(n + 2, l);
    this.poolLen = n + 3;
    this.pool[count]! += 1;
  }

  /** Columns grow by 1/4 (plus a little): the log is long-lived, so spare capacity is kept memory. */
  private grow(): void {
    const n = more(this.seq.length);
    const ka = new Uint32Array(n);
    ka.set(this.ka);
    this.ka = ka;
    this.seq = resize(this.seq, n, this.length);
    const len = new Uint32Array(n);
    len.set(this.len);
    this.len = len;
    const at = new Uint32Array(n);
    at.set(this.at);
    this.at = at;
  }

  private reserve(extra: number): void {
    if (this.poolLen + extra <= this.pool.length) return;
    let n = more(this.pool.length);
    while (n < this.poolLen + extra) n = more(n);
    this.pool = resize(this.pool, n, this.poolLen);
  }

  private putPool(i: number, v: number): void {
    if (v > 0xffffffff) this.pool = widen(this.pool);
    this.pool[i] = v;
  }
}

function more(n: number): number {
  return n + (n >> 2) + 16;
}

function resize(col: Column, n: number, used: number): Column {
  const next = col instanceof Float64Array ? new Float64Array(n) : new Uint32Array(n);
  next.set(col.subarray(0, used));
  return next;
}

/** The same values in a 64-bit column (a no-op when it already is one). */
function widen(col: Column): Column {
  return col instanceof Float64Array ? col : Float64Array.from(col);
}
