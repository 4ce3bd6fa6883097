import { ByteReader } from './bytes.js';
import type { ContentSource } from './contentCodec.js';
import type { ClaimOp, InsertOp, UpdateOp } from './updateOps.js';

/**
 * Receives the operations of a streaming decode. An object with methods rather than a callback:
 * optimised decoder code remembers the call target, and a per-decode closure would die at the
 * next full GC and take that code with it (deoptimising the decoder for every later update).
 */
export interface OpSink<C> {
  /** The length of the first operation list, before it is read (a fresh decode sizes its log). */
  count(ops: number): void;
  /** One operation; inserts arrive in a reused object, so it must be consumed at once. */
  op(op: UpdateOp<C>, agents: string[]): void;
}

const NO_NAMES: string[] = [];
const NO_OPS: UpdateOp<never>[] = [];

/**
 * Where a decode is: the reader, the update's agents, each agent's next expected seq, where
 * operations go. One state is kept and reused (a nested decode gets its own), like the reader and
 * the content source. A state per decode made V8 rebuild its hidden class after every full GC
 * (all states had died) and then deoptimise every decoder function when the decode set
 * `scratch`/`claim` to null, generalising the new class's field types: a snapshot decode after a
 * GC ran mostly unoptimised (seph-blog1: ~25 ms instead of ~6 for the first nine decodes).
 */
export class DecodeState<C> {
  busy = false;
  r: ByteReader = placeholderReader;
  agents: string[] = NO_NAMES;
  nAgents = 0;
  /** Where operations go: to `sink` when streaming, else into `out` (at `nOut`). */
  sink: OpSink<C> | undefined = undefined;
  out: UpdateOp<C>[] = NO_OPS;
  nOut = 0;
  /** Next expected seq per update agent (the first `nAgents` entries are in use). */
  expected: number[] = [];
  prev = -1;
  content: ContentSource<C> | null = null;
  /** When set, inserts are decoded into this one object, handed to the sink and then reused. */
  scratch: InsertOp<C> | null = null;
  /** Part objects reused by the scratch insert. */
  pool: Array<{ len: number; content: C | null }> = [];
  claim: ClaimOp | null = null;
  /** Single-part inserts come from the decoder's pool (see `releaseOps`). */
  pooled = false;

  static take<C>(r: ByteReader, agents: string[], sink: OpSink<C> | undefined): DecodeState<C> {
    const st = shared.busy ? new DecodeState<C>() : (shared as DecodeState<C>);
    st.busy = true;
    st.r = r;
    st.agents = agents;
    st.nAgents = agents.length;
    st.sink = sink;
    st.nOut = 0;
    st.prev = -1;
    const expected = st.expected;
    for (let i = 0; i < agents.length; i++) expected[i] = 0;
    return st;
  }

  /** Done: drops every reference the decode held. */
  release(): void {
    this.busy = false;
    this.r = placeholderReader;
    this.agents = NO_NAMES;
    this.sink = undefined;
    this.out = NO_OPS;
    this.content = null;
    this.scratch = null;
    this.claim = null;
    this.pooled = false;
  }
}

const placeholderReader = new ByteReader();
const shared = new DecodeState<unknown>();
