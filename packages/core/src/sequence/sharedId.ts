import type { ContentCodec } from './contentCodec.js';
import { decodeUpdate, releaseOps } from './decodeUpdate.js';
import type { UpdateOp } from './updateOps.js';

/**
 * The first id that two of `updates` both give an operation, as `replica:seq`; null if none.
 *
 * Updates one editor encodes one after another (`encodeSince` after each edit) never share an
 * id. Two that one replica built from the same starting state do: the second reuses ids the first
 * gave to other operations. A replica that has the first skips the second's reused ids, one that
 * receives the second first keeps them, so replicas would disagree. Checked wherever one change's
 * updates of a field are put together (`createChange`) or received (`validateDelta`).
 */
export function sharedId<C>(updates: readonly Uint8Array[], codec: ContentCodec<C>): string | null {
  const claimed = new Map<string, number[]>(); // replica → flat [start, end) pairs
  for (const bytes of updates) {
    const { agents, update, pooled } = decodeUpdate(bytes, codec);
    try {
      const mine: Array<[string, number, number]> = [];
      const visit = (ops: readonly UpdateOp<C>[]): string | null => {
        for (const op of ops) {
          const name = agents[op.agent] as string;
          const ranges = claimed.get(name);
          if (ranges)
            for (let i = 0; i < ranges.length; i += 2) {
              const s = ranges[i] as number;
              const e = ranges[i + 1] as number;
              if (op.seq < e && s < op.seq + op.len) return `${name}:${Math.max(s, op.seq)}`;
            }
          mine.push([name, op.seq, op.seq + op.len]);
        }
        return null;
      };
      // Only the operations the sender applied: `pending` repeats, in every update it encodes,
      // the operations it still waits on itself (the same ones each time, not new ones).
      const hit = visit(update.ops);
      if (hit !== null) return hit;
      for (const [name, s, e] of mine) {
        const ranges = claimed.get(name);
        if (ranges) ranges.push(s, e);
        else claimed.set(name, [s, e]);
      }
    } finally {
      if (pooled) releaseOps();
    }
  }
  return null;
}
