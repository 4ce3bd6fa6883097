import type { ContentOps } from './content.js';
import type { Run } from './Run.js';

/** Pieces kept at most; typing longer than this falls back to slicing (and so compacting) the run. */
const MAX_PIECES = 64;

/**
 * The run that typing (local or remote) is extending, and the pieces typed into it since.
 * Appending builds a chain of small pieces (for text, V8 concatenation nodes) that is compacted
 * only once typing moves on to another run. Until then the pieces themselves supply the run's
 * newest items: a keystroke's update needs just those, and slicing the chain instead would
 * flatten the whole run — a copy of the run on every keystroke's update (about 270 bytes per
 * update on runs of a few hundred characters).
 */
export class TypingTail<C> {
  /** The run typing extends; its content ends with the pieces while its length is `len`. */
  private run: Run<C> | null = null;
  private readonly pieces: Array<C | null> = [];
  private n = 0;
  /** Items in the pieces. */
  private items = 0;
  /** `run.len` right after the last append (its caller then adds the appended length). */
  private len = 0;

  constructor(private readonly ops: ContentOps<C>) {}

  /** Appends `content` to run `r`, which typing continues. */
  append(r: Run<C>, content: C): void {
    const g = this.run;
    if (g !== r) {
      if (g !== null && g.content !== null) this.ops.settle(g.content);
      this.run = r;
      this.clear();
    } else if (r.len !== this.len || this.n === MAX_PIECES) this.clear(); // split, or typing at length
    r.content = this.ops.append(r.content as C, content);
    const k = this.ops.length(content);
    this.pieces[this.n++] = content;
    this.items += k;
    this.len = r.len + k;
  }

  /**
   * Adds the content of items `a`..`b-1` of run `r` (some of it, not all) to `out` from index
   * `at`, as one or more pieces; returns the new count.
   */
  addContent(r: Run<C>, a: number, b: number, out: unknown[], at: number): number {
    if (r === this.run && b === r.len && r.len === this.len && r.len - a <= this.items) {
      let i = this.n;
      let start = r.len;
      while (start > a) start -= this.ops.length(this.pieces[--i] as C);
      const first = this.pieces[i] as C;
      out[at++] = a === start ? first : this.ops.slice(first, a - start, this.ops.length(first));
      for (let j = i + 1; j < this.n; j++) out[at++] = this.pieces[j];
      return at;
    }
    out[at++] = this.ops.slice(r.content as C, a, b);
    return at;
  }

  private clear(): void {
    for (let i = 0; i < this.n; i++) this.pieces[i] = null;
    this.n = 0;
    this.items = 0;
  }
}
