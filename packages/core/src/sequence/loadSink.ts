import { applyRemoteOp } from './applyRemote.js';
import type { OpSink } from './decodeState.js';
import type { SequenceCore } from './SequenceCore.js';
import type { UpdateOp } from './updateOps.js';

/**
 * Where a streaming decode into an empty replica sends its operations: straight into a fresh
 * engine, each remapped to the engine's agent indices.
 *
 * The decoder's optimised code inlines the sink and so depends on its call target and hidden
 * class. A closure made per load (how this started) or a sink object made per load dies at the
 * next full GC and deoptimises `decodeWith`/`readOps`/`emit` for every later update — the
 * friendsforever benchmark, where each replica's first update is a load, re-warmed its decoder
 * after every GC (`--trace-deopt`: "weak objects"). So there is one long-lived sink.
 */
export class LoadSink<C> implements OpSink<C> {
  /** Whether any operation was applied (the caller then tells its listeners). */
  changed = false;
  /** Update agent index -> engine agent index, made on the first operation. */
  map: number[] | null = null;
  busy = false;

  constructor(public core: SequenceCore<C> | null) {}

  /**
   * A sink into `core`: the kept one, or a new one when that is in use (a nested load).
   * {@link release} gives it back and drops the engine.
   */
  static take<C>(core: SequenceCore<C>): LoadSink<C> {
    const s = shared.busy ? new LoadSink<C>(null) : (shared as LoadSink<C>);
    s.busy = true;
    s.core = core;
    s.changed = false;
    s.map = null;
    return s;
  }

  release(): void {
    this.busy = false;
    this.core = null;
    this.map = null;
  }

  count(ops: number): void {
    // A snapshot's inserts alternate at most with the deletes between them.
    (this.core as SequenceCore<C>).log.reserveOps(2 * ops);
  }

  op(op: UpdateOp<C>, agents: string[]): void {
    const core = this.core as SequenceCore<C>;
    let map = this.map;
    if (map === null) {
      // A loop, not `agents.map` with an arrow: the decoder inlines this method, and a closure
      // made per load would again be a call target that dies with the load.
      map = this.map = new Array<number>(agents.length);
      for (let i = 0; i < agents.length; i++) map[i] = core.agentIndex(agents[i] as string);
    }
    remapOp(op, map);
    if (applyRemoteOp(core, op)) this.changed = true;
  }
}

/** Rewrites an operation's agent indices from an update's agent table to an engine's. */
export function remapOp<C>(op: UpdateOp<C>, map: number[]): void {
  op.agent = map[op.agent] as number;
  if (op.kind === 0) {
    if (op.oLa >= 0) op.oLa = map[op.oLa] as number;
    if (op.oRa >= 0) op.oRa = map[op.oRa] as number;
    if (op.move !== undefined) op.move.ea = map[op.move.ea] as number;
  } else if (op.kind === 1)
    for (let i = 0; i < op.targets.length; i += 3) op.targets[i] = map[op.targets[i]!] as number;
}

const shared = new LoadSink<unknown>(null);
