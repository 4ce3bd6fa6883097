import type { ContentOps } from './content.js';
import { placeInsert } from './integrate.js';
import { MISSING, originStatus, PRESENT, resolveOrphans } from './orphanOrigins.js';
import { type Block, InsertEntry, Run } from './Run.js';
import type { AgentState, SequenceCore } from './SequenceCore.js';
import type { InsertOp, Update, UpdateOp } from './updateOps.js';

// Remote operations, addressed by id: each applies once its dependencies are here (earlier ids of
// its replica, and an insert's origins), otherwise waits in `pending`; re-sent ids are skipped.

const APPLIED = 0;
const SKIPPED = 1;
const BLOCKED = 2;

/** Applies a decoded update; returns whether anything visible may have changed. */
export function applyRemote<C>(core: SequenceCore<C>, update: Update<C>): boolean {
  let changed = false;
  // Indexed loops: these run once per received update, often before the optimiser has made the
  // iterator of a for-of disappear.
  const ops = update.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as UpdateOp<C>;
    const r = tryApply(core, op);
    if (r === APPLIED) changed = true;
    // (Decoded inserts may be reused by the next decode: one that waits is copied.)
    else if (r === BLOCKED) addPending(core, copyOp(op));
  }
  const pending = update.pending;
  for (let i = 0; i < pending.length; i++) {
    const op = pending[i] as UpdateOp<C>;
    const r = tryApply(core, op);
    if (r === APPLIED) changed = true;
    else if (r === BLOCKED) addPending(core, op);
  }
  if (changed && core.pending.length > 0) retryPending(core);
  if (update.tombstones.length > 0) {
    core.deleteIds(update.tombstones);
    changed = true;
  }
  return changed;
}

/**
 * Applies one operation that may be a reused scratch object (streaming decode): anything kept
 * for later is copied. Returns whether it was applied.
 */
export function applyRemoteOp<C>(core: SequenceCore<C>, op: UpdateOp<C>): boolean {
  const r = tryApply(core, op);
  if (r === BLOCKED) addPending(core, copyOp(op));
  else if (r === APPLIED && core.pending.length > 0) retryPending(core);
  return r === APPLIED;
}

/** A copy of `op` that shares nothing a decoder may reuse. */
function copyOp<C>(op: UpdateOp<C>): UpdateOp<C> {
  return op.kind === 0
    ? { ...op, parts: op.parts.map((p) => ({ len: p.len, content: p.content })) }
    : { ...op };
}

function addPending<C>(core: SequenceCore<C>, op: UpdateOp<C>): void {
  for (const p of core.pending) if (p.agent === op.agent && p.seq === op.seq && p.len === op.len) return;
  core.pending.push(op);
}

function retryPending<C>(core: SequenceCore<C>): void {
  for (let progress = true; progress;) {
    progress = false;
    const list = core.pending;
    core.pending = [];
    for (const op of list) {
      const r = tryApply(core, op);
      if (r === APPLIED) progress = true;
      else if (r === BLOCKED) core.pending.push(op);
    }
  }
}

function tryApply<C>(core: SequenceCore<C>, op0: UpdateOp<C>): number {
  const st = core.agents[op0.agent] as AgentState<C>;
  // Deleted parts of an insert we already have still say "these items are deleted": a full
  // snapshot conveys deletions only this way.
  if (op0.kind === 0 && op0.seq < st.next && op0.parts.length > 0 && deleteKnownParts(core, op0, st.next)) {
    if (op0.seq + op0.len <= st.next) return APPLIED;
  }
  if (op0.seq + op0.len <= st.next) return SKIPPED;
  if (op0.seq > st.next) return BLOCKED;
  const op = op0.seq < st.next ? trimOp(op0, st.next - op0.seq, core.ops) : op0;
  if (op.kind === 0) {
    let left = op.oLa >= 0 ? core.findRun(op.oLa, op.oLs) : null;
    if (op.oLa >= 0 && left === null) {
      const l = originStatus(core, op.oLa, op.oLs);
      const r = originStatus(core, op.oRa, op.oRs);
      if (l === MISSING || r === MISSING) return BLOCKED;
      resolveOrphans(core, op, l, r);
      left = op.oLa >= 0 ? core.findRun(op.oLa, op.oLs) : null;
    } else if (op.oRa >= 0 && core.findRun(op.oRa, op.oRs) === null) {
      const r = originStatus(core, op.oRa, op.oRs);
      if (r === MISSING) return BLOCKED;
      resolveOrphans(core, op, PRESENT, r);
    }
    integrate(core, op, left);
    return APPLIED;
  }
  st.next = op.seq + op.len;
  if (op.kind === 1) {
    core.deleteIds(op.targets);
    core.pushLog(1, op.agent, op.len, op.targets);
  } else {
    const log = core.log;
    const last = log.length - 1;
    if (last >= 0 && log.kind(last) === 2 && log.agent(last) === op.agent && log.canGrow(last, op.len))
      log.len[last]! += op.len;
    else core.pushLog(2, op.agent, op.len, null);
  }
  return APPLIED;
}

/** Deletes the items of `op`'s deleted parts below `next`; returns whether there were any. */
function deleteKnownParts<C>(core: SequenceCore<C>, op: InsertOp<C>, next: number): boolean {
  let seq = op.seq;
  let any = false;
  for (const p of op.parts) {
    if (seq >= next) break;
    if (p.content === null) {
      core.deleteIds([op.agent, seq, Math.min(p.len, next - seq)]);
      any = true;
    }
    seq += p.len;
  }
  return any;
}

/** Integrates an insert whose origins are here: placed by FugueMax, one run per part. */
function integrate<C>(core: SequenceCore<C>, op: InsertOp<C>, left: Run<C> | null): void {
  const tree = core.tree;
  const st = core.agents[op.agent] as AgentState<C>;
  placeInsert(core, op, left);
  let block = tree.pBlock as Block<C>;
  let idx = tree.pIdx;
  if (idx > 0 && extendRemote(core, block.runs[idx - 1] as Run<C>, op, st)) {
    core.afterInsert(op);
    return;
  }
  const parts = op.parts;
  const p0 = parts[0] as { len: number; content: C | null };
  const entry = new InsertEntry<C>(
    op.agent,
    op.seq,
    op.len,
    op.oLa,
    op.oLs,
    op.oRa,
    op.oRs,
    p0.content,
    block,
  );
  core.setMove(entry, op.move);
  let run = entry.first;
  run.len = p0.len;
  let seq = op.seq;
  for (let i = 0; ;) {
    tree.insert(block, idx, run);
    block = run.block;
    idx = (block.runs[idx] === run ? idx : block.runs.indexOf(run)) + 1;
    seq += run.len;
    const part = parts[++i];
    if (part === undefined) break;
    const next: Run<C> = new Run<C>(seq, part.len, part.content, block, entry);
    entry.addFrag(run, next);
    run = next;
  }
  st.entries.push(entry);
  st.next = op.seq + op.len;
  core.pushLog(0, op.agent, op.len, null);
  core.afterInsert(op);
}

/**
 * A remote insert that continues the run it lands after (the other replica kept typing) joins
 * that run, its insert entry and its log operation, exactly as local typing does.
 */
function extendRemote<C>(core: SequenceCore<C>, prev: Run<C>, op: InsertOp<C>, st: AgentState<C>): boolean {
  const part = op.parts[0];
  if (op.parts.length !== 1 || part === undefined || part.content === null || op.move !== undefined)
    return false;
  const entry = prev.entry;
  if (
    entry.agent !== op.agent ||
    prev.seq + prev.len !== op.seq ||
    prev.content === null ||
    core.moveOf(entry) !== undefined ||
    entry.seq + entry.len !== op.seq
  )
    return false;
  if (
    op.oLa !== op.agent ||
    op.oLs !== op.seq - 1 ||
    entry.oRa !== op.oRa ||
    (op.oRa >= 0 && entry.oRs !== op.oRs)
  )
    return false;
  // The agent's last operation must be this insert, so that the log operation can grow with it.
  const last = st.lastOp;
  // (Its first id is where the agent's ids end, less its length.)
  if (
    last < 0 ||
    core.log.kind(last) !== 0 ||
    st.next - core.log.len[last]! !== entry.seq ||
    !core.log.canGrow(last, op.len)
  )
    return false;
  core.grow(prev, part.content);
  prev.len += op.len;
  entry.len += op.len;
  core.log.len[last]! += op.len;
  st.next = op.seq + op.len;
  core.tree.changeVis(prev.block, op.len);
  return true;
}

/** `op` without its first `cut` ids (the receiver already has them). */
function trimOp<C>(op: UpdateOp<C>, cut: number, ops: ContentOps<C>): UpdateOp<C> {
  const seq = op.seq + cut;
  const len = op.len - cut;
  if (op.kind === 2) return { kind: 2, agent: op.agent, seq, len };
  // A delete keeps all its targets: deleting twice is a no-op, and the receiver already deleted
  // whatever the ids it has named.
  if (op.kind === 1) return { kind: 1, agent: op.agent, seq, len, targets: op.targets };
  const parts: InsertOp<C>['parts'] = [];
  let skip = cut;
  for (const p of op.parts) {
    if (skip >= p.len) {
      skip -= p.len;
      continue;
    }
    parts.push(
      skip === 0
        ? p
        : { len: p.len - skip, content: p.content === null ? null : ops.slice(p.content, skip, p.len) },
    );
    skip = 0;
  }
  return {
    kind: 0,
    agent: op.agent,
    seq,
    len,
    oLa: op.agent,
    oLs: seq - 1,
    oRa: op.oRa,
    oRs: op.oRs,
    parts,
    move: op.move,
  };
}
