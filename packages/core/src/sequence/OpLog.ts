/** A numeric column: 32-bit while its values fit, widened to 64-bit floats otherwise. */
type Column = Uint32Array | Float64Array;

/**
 * Every applied operation in integration order (a causal order), as typed columns rather than
 * an object per operation: the log is as long as the history, and typed arrays cost the garbage
 * collector nothing to trace. Each operation is 8 bytes (kind and agent, length) plus a delete's
 * targets; nothing else needs storing:
 *
 * - An agent's operations tile its ids `0 .. next-1` in log order, so an operation's first id is
 *   its agent's `next` minus the lengths of that agent's later operations: a reader walking back
 *   from the end (as {@link collectSince} does) knows every id without a column for them.
 * - A delete's targets are one record in a shared pool: its agent/seq/len triples, then their
 *   count, so a reader walking back finds each record's start from its end.
 * - An insert is found again by its id in the agent's inserts, so it is never stale.
 */
export class OpLog {
  length = 0;
  /** `agent << 2 | kind` (kind 0 insert, 1 delete, 2 claim). */
  private ka = new Uint32Array(16);
  /** Lengths fit 32 bits: a new operation is shorter, and {@link canGrow} stops merging before. */
  len = new Uint32Array(16);
  /** Delete records; ids are safe integers, but past 2^32 only after billions of operations. */
  private pool: Column = new Uint32Array(16);
  /** End of the pool's last record. */
  poolLen = 0;

  kind(k: number): number {
    return (this.ka[k] as number) & 3;
  }

  agent(k: number): number {
    return (this.ka[k] as number) >>> 2;
  }

  /** Appends an operation (a delete with its flat target triples); returns its index. */
  push(kind: 0 | 1 | 2, agent: number, len: number, targets: readonly number[] | null): number {
    const k = this.length;
    if (k === this.len.length) this.grow();
    this.ka[k] = ((agent << 2) | kind) >>> 0;
    this.len[k] = len;
    if (kind === 1) {
      const t = targets as readonly number[];
      this.reserve(t.length + 1);
      const at = this.poolLen;
      for (let i = 0; i < t.length; i++) this.put(at + i, t[i] as number);
      this.put(at + t.length, t.length / 3);
      this.poolLen = at + t.length + 1;
    }
    this.length = k + 1;
    return k;
  }

  /** Whether operation `k` may absorb `n` more ids (the merged length must fit its column). */
  canGrow(k: number, n: number): boolean {
    return (this.len[k] as number) + n <= 0xffffffff;
  }

  /** Where the delete record ending at pool offset `end` starts. */
  recordStart(end: number): number {
    return end - 1 - 3 * (this.pool[end - 1] as number);
  }

  /** Pool value `i` (a small integer whenever it fits one). */
  poolAt(i: number): number {
    return small(this.pool[i] as number);
  }

  /** The target triples of the delete record ending at pool offset `end` (a copy). */
  targets(end: number): number[] {
    const from = this.recordStart(end);
    const n = end - 1 - from;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = small(this.pool[from + i] as number);
    return out;
  }

  /**
   * Adds an id range to the targets of the LAST operation (a delete), merging with its last
   * range when they touch: consecutive deletes by one replica become one operation.
   */
  addLastTarget(a: number, s: number, l: number): void {
    const pool = this.pool;
    const n = this.poolLen;
    const count = pool[n - 1] as number;
    if (count > 0 && pool[n - 4] === a) {
      if ((pool[n - 3] as number) + (pool[n - 2] as number) === s) {
        this.put(n - 2, (pool[n - 2] as number) + l);
        return;
      }
      if (s + l === pool[n - 3]) {
        this.put(n - 3, s);
        this.put(n - 2, (pool[n - 2] as number) + l);
        return;
      }
    }
    this.reserve(3);
    this.put(n - 1, a);
    this.put(n, s);
    this.put(n + 1, l);
    this.put(n + 2, count + 1);
    this.poolLen = n + 3;
  }

  /** Columns grow by 1/4 (plus a little): the log is long-lived, so spare capacity is kept memory. */
  private grow(): void {
    this.resize(more(this.len.length));
  }

  /** Makes room for `n` operations in all (a decode knows how many are coming). */
  reserveOps(n: number): void {
    if (n > this.len.length) this.resize(n);
  }

  /** Drops spare capacity (after a decode reserved more than it used). */
  trim(): void {
    if (this.len.length - this.length > 16) this.resize(this.length + 16);
  }

  private resize(n: number): void {
    const ka = new Uint32Array(n);
    ka.set(this.ka.subarray(0, this.length));
    this.ka = ka;
    const len = new Uint32Array(n);
    len.set(this.len.subarray(0, this.length));
    this.len = len;
  }

  private reserve(extra: number): void {
    if (this.poolLen + extra <= this.pool.length) return;
    let n = more(this.pool.length);
    while (n < this.poolLen + extra) n = more(n);
    const next = this.pool instanceof Float64Array ? new Float64Array(n) : new Uint32Array(n);
    next.set(this.pool.subarray(0, this.poolLen));
    this.pool = next;
  }

  private put(i: number, v: number): void {
    if (v > 0xffffffff && !(this.pool instanceof Float64Array)) this.pool = Float64Array.from(this.pool);
    this.pool[i] = v;
  }
}

function more(n: number): number {
  return n + (n >> 2) + 16;
}

/**
 * A pool value as a small integer whenever it fits one. V8's interpreter boxes the numbers it
 * reads from a 64-bit column into heap numbers; a boxed id stored in an object turns that field
 * into a boxed double field for every object of the same shape.
 */
function small(v: number): number {
  return v <= 0x3fffffff ? v | 0 : v;
}
