import type { InsertEntry } from './Run.js';

/**
 * Every applied operation in integration order (a causal order), stored as parallel arrays of
 * small integers rather than an object per operation: the log is as long as the history, and
 * number arrays cost the garbage collector nothing to trace. Inserts read their parts from their
 * entry (`ref`), so they are never stale; deletes keep their targets as flat triples.
 */
export class OpLog<C> {
  readonly kind: number[] = [];
  readonly agent: number[] = [];
  readonly seq: number[] = [];
  readonly len: number[] = [];
  readonly ref: Array<InsertEntry<C> | number[] | null> = [];

  get length(): number {
    return this.kind.length;
  }

  push(kind: 0 | 1 | 2, agent: number, seq: number, len: number, ref: InsertEntry<C> | number[] | null): number {
    this.kind.push(kind);
    this.agent.push(agent);
    this.seq.push(seq);
    this.len.push(len);
    this.ref.push(ref);
    return this.kind.length - 1;
  }
}
