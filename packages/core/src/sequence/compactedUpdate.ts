import type { Block, Run } from './Run.js';
import type { SequenceCore } from './SequenceCore.js';
import type { InsertOp, Update } from './updateOps.js';

/** One visible run of the compacted state: its ids, content, move, and order of integration. */
interface Unit<C> {
  agent: number;
  seq: number;
  len: number;
  content: C;
  run: Run<C>;
  rank: number;
  /** Whether `content` is this unit's own copy (appending to it then changes no run). */
  owned: boolean;
}

/**
 * The state of `core` without its tombstones, as a full snapshot (docs/crdt.md, "Compacting
 * tombstones"): every visible run becomes one insert, and every other id — deleted items, deletes
 * — becomes part of the gap that the snapshot format already closes each agent with (a claim), so
 * each replica's ids still tile `0 .. next-1` and the version is unchanged.
 *
 * Why the origins are rewritten: a kept item may name a dropped tombstone as origin (typing after
 * a deleted word, the rest of a run after its deleted start), and decoding places every insert
 * by its origins. So the inserts are emitted in a canonical order (by replica name, then id:
 * each replica's ids increase, as the op log needs) and each one gets as origins its nearest
 * neighbours in document order among the inserts emitted before it — all nearest smaller values
 * of the ranks, one stack pass. At its turn nothing lies between those two, so decoding places it
 * exactly there: the document order is kept, and every origin is a kept item. The result depends
 * only on the visible runs and the version, so replicas in the same state compact to the same
 * bytes, whatever order they merged in.
 *
 * Operations still waiting for their dependencies, and deletes of ids not received yet, are kept
 * as they are.
 */
export function compactedUpdate<C>(core: SequenceCore<C>): Update<C> {
  const units = visibleUnits(core);
  const names = core.names;
  const byRank = units.slice().sort((x, y) => {
    const nx = names[x.agent] as string;
    const ny = names[y.agent] as string;
    return nx < ny ? -1 : nx > ny ? 1 : x.seq - y.seq;
  });
  for (let i = 0; i < byRank.length; i++) (byRank[i] as Unit<C>).rank = i;
  const left = nearestEarlier(units, 1);
  const right = nearestEarlier(units, -1);
  const ops: InsertOp<C>[] = new Array<InsertOp<C>>(units.length);
  for (let i = 0; i < units.length; i++) {
    const u = units[i] as Unit<C>;
    const l = left[i] as Unit<C> | undefined;
    const r = right[i] as Unit<C> | undefined;
    ops[u.rank] = {
      kind: 0,
      agent: u.agent,
      seq: u.seq,
      len: u.len,
      oLa: l === undefined ? -1 : l.agent,
      oLs: l === undefined ? 0 : l.seq + l.len - 1,
      oRa: r === undefined ? -1 : r.agent,
      oRs: r === undefined ? 0 : r.seq,
      parts: [{ len: u.len, content: u.content }],
      move: core.moveOf(u.run.entry),
    };
  }
  return {
    ops,
    pending: core.pending.slice(),
    tombstones: core.pendingDeletes.slice(),
    ends: core.agents.map((st) => st.next),
    // Everything this replica has is the base now (none if it has nothing).
    base: core.agents.some((st) => st.next > 0) ? core.agents.map((st) => st.next) : null,
  };
}

/** Visible runs in document order; neighbours that continue each other's ids are one unit. */
function visibleUnits<C>(core: SequenceCore<C>): Unit<C>[] {
  const out: Unit<C>[] = [];
  const ops = core.ops;
  const blocks = core.tree.blocks;
  for (let b = 0; b < blocks.length; b++) {
    const runs = (blocks[b] as Block<C>).runs;
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i] as Run<C>;
      if (r.content === null) continue;
      const prev = out[out.length - 1];
      if (
        prev !== undefined &&
        prev.agent === r.entry.agent &&
        prev.seq + prev.len === r.seq &&
        core.moveOf(r.entry) === undefined &&
        core.moveOf(prev.run.entry) === undefined
      ) {
        if (!prev.owned) prev.content = ops.slice(prev.content, 0, prev.len);
        prev.content = ops.append(prev.content, r.content);
        prev.owned = true;
        prev.len += r.len;
        continue;
      }
      out.push({
        agent: r.entry.agent,
        seq: r.seq,
        len: r.len,
        content: r.content,
        run: r,
        rank: 0,
        owned: false,
      });
    }
  }
  return out;
}

/**
 * For each unit, the nearest unit on one side (`dir` 1: to its left, -1: to its right) with a
 * smaller rank — emitted before it —, or undefined. A monotonic stack: O(units).
 */
function nearestEarlier<C>(units: Unit<C>[], dir: 1 | -1): Array<Unit<C> | undefined> {
  const n = units.length;
  const out = new Array<Unit<C> | undefined>(n);
  const stack: Unit<C>[] = [];
  for (let k = 0; k < n; k++) {
    const i = dir === 1 ? k : n - 1 - k;
    const u = units[i] as Unit<C>;
    while (stack.length > 0 && (stack[stack.length - 1] as Unit<C>).rank > u.rank) stack.pop();
    out[i] = stack[stack.length - 1];
    stack.push(u);
  }
  return out;
}
