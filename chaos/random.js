/**
 * A small seeded pseudo-random generator (sfc32 seeded through splitmix32), so that a seed replays
 * the same sequence of decisions: which faults, which writes, on which documents. Timing between
 * processes is not replayable; the decisions are.
 */
export class Random {
  /** @param {number} seed any 32-bit integer */
  constructor(seed) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    /** @type {[number, number, number, number]} */
    this.state = [next(), next(), next(), next()];
  }

  /** A float in [0, 1). */
  next() {
    const st = this.state;
    let [a, b, c, d] = st;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    st[0] = a >>> 0;
    st[1] = b;
    st[2] = c;
    st[3] = d;
    return t / 4294967296;
  }

  /**
   * An integer in [min, max].
   * @param {number} min
   * @param {number} max
   */
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** @param {number} p probability in [0, 1] */
  chance(p) {
    return this.next() < p;
  }

  /**
   * One element of a non-empty array.
   * @template T
   * @param {readonly T[]} items
   * @returns {T}
   */
  pick(items) {
    if (items.length === 0) throw new Error('pick from an empty array');
    return /** @type {T} */ (items[Math.floor(this.next() * items.length)]);
  }

  /**
   * A key of `weights`, chosen with probability proportional to its weight.
   * @template {string} K
   * @param {Record<K, number>} weights
   * @returns {K}
   */
  weighted(weights) {
    const keys = /** @type {K[]} */ (Object.keys(weights));
    let total = 0;
    for (const k of keys) total += weights[k];
    let r = this.next() * total;
    for (const k of keys) {
      r -= weights[k];
      if (r < 0) return k;
    }
    return /** @type {K} */ (keys[keys.length - 1]);
  }

  /**
   * A derived generator (for a child process or a sub-schedule), independent of later draws here.
   * @param {number} salt
   */
  fork(salt) {
    return new Random((this.int(0, 0x7fffffff) ^ Math.imul(salt + 1, 0x27d4eb2d)) >>> 0);
  }
}

/** A fresh seed when none is given (printed, so the run can be repeated). */
export const freshSeed = () => Math.floor(Math.random() * 0x7fffffff);
