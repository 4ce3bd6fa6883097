import { InsertEntry, type MoveMeta, type Run } from './Run.js';
import type { AgentState, SequenceCore } from './SequenceCore.js';

// Local edits, addressed by visible position: they create this replica's operations (runs, the
// insert entry, the log record) and merge consecutive typing or deleting into one operation.

/** Inserts `n` items (`content`) so that the first lands at visible `index` (0..length). */
export function insertLocal<C>(
  core: SequenceCore<C>,
  index: number,
  content: C,
  n: number,
  move?: MoveMeta,
): number {
  const tree = core.tree;
  const me = core.me;
  const st = core.agents[me] as AgentState<C>;
  const seq = st.next;
  let oLa = -1;
  let oLs = 0;
  let oRa = -1;
  let oRs = 0;
  let block = tree.blocks[0]!;
  let idx = 0;
  if (index === 0) {
    const first = block.runs[0];
    if (first !== undefined) {
      oRa = first.entry.agent;
      oRs = first.seq;
    }
  } else {
    tree.find(index - 1);
    const r = tree.fRun as Run<C>;
    const ri = tree.fIdx;
    const off = tree.fOff;
    if (off === r.len - 1) {
      const nx = tree.next(r, ri);
      if (nx !== null) {
        oRa = nx.entry.agent;
        oRs = nx.seq;
      }
      // Typing: extend the run we typed last instead of creating a new one.
      const e = r.entry;
      if (
        e.agent === me &&
        r.seq + r.len === seq &&
        move === undefined &&
        core.moveOf(e) === undefined &&
        core.log.canGrow(st.lastOp, n) &&
        e.oRa === oRa &&
        (oRa < 0 || e.oRs === oRs)
      ) {
        core.grow(r, content);
        r.len += n;
        r.entry.len += n;
        tree.changeVis(r.block, n);
        st.next += n;
        core.log.len[st.lastOp]! += n;
        return seq;
      }
    } else {
      const right = tree.splitRun(r, ri, off + 1);
      oRa = right.entry.agent;
      oRs = right.seq;
    }
    oLa = r.entry.agent;
    oLs = r.seq + off;
    block = r.block;
    idx = (block.runs[ri] === r ? ri : block.runs.indexOf(r)) + 1;
  }
  const entry = new InsertEntry<C>(me, seq, n, oLa, oLs, oRa, oRs, content, block);
  core.setMove(entry, move);
  tree.insert(block, idx, entry.first);
  st.entries.push(entry);
  st.next += n;
  core.pushLog(0, me, n, null);
  return seq;
}

/** Deletes `n` visible items starting at `index` (index + n <= length). */
export function deleteLocal<C>(core: SequenceCore<C>, index: number, n: number): void {
  const tree = core.tree;
  const targets: number[] = [];
  let remaining = n;
  while (remaining > 0) {
    tree.find(index);
    let r = tree.fRun as Run<C>;
    let ri = tree.fIdx;
    if (tree.fOff > 0) {
      const block = r.block;
      r = tree.splitRun(r, ri, tree.fOff);
      ri = r.block === block && r.block.runs[ri + 1] === r ? ri + 1 : r.block.runs.indexOf(r);
    }
    if (r.len > remaining) tree.splitRun(r, ri, remaining);
    const k = r.len;
    addTarget(targets, r.entry.agent, r.seq, k);
    tree.markDeleted(r, r.block.runs[ri] === r ? ri : r.block.runs.indexOf(r));
    remaining -= k;
  }
  const st = core.agents[core.me] as AgentState<C>;
  st.next += n;
  const log = core.log;
  const last = log.length - 1;
  // The log's last operation, if it is our delete, ends where this one starts: they merge.
  if (last >= 0 && log.kind(last) === 1 && log.agent(last) === core.me && log.canGrow(last, n)) {
    log.len[last]! += n;
    for (let i = 0; i < targets.length; i += 3)
      log.addLastTarget(targets[i]!, targets[i + 1]!, targets[i + 2]!);
    return;
  }
  core.pushLog(1, core.me, n, targets);
}

/** Appends the id range to flat triples, merging with the last range when adjacent. */
function addTarget(t: number[], a: number, s: number, l: number): void {
  const n = t.length;
  if (n > 0 && t[n - 3] === a) {
    if (t[n - 2]! + t[n - 1]! === s) {
      t[n - 1]! += l;
      return;
    }
    if (s + l === t[n - 2]) {
      t[n - 2] = s;
      t[n - 1]! += l;
      return;
    }
  }
  t.push(a, s, l);
}
