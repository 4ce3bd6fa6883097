import type { ContentOps } from './content.js';
import { placeInsert } from './integrate.js';
import type { AgentState } from './log.js';
import { collectSince, OpLog } from './log.js';
import { Run, type InsertEntry, type MoveMeta } from './Run.js';
import { RunTree } from './RunTree.js';
import type { InsertOp, Update, UpdateOp } from './updateOps.js';

const APPLIED = 0;
const SKIPPED = 1;
const BLOCKED = 2;

/**
 * The sequence CRDT engine shared by {@link Text} and {@link List}: local edits by position,
 * remote operations by id, and the operation log that delta updates are cut from. Public classes
 * validate arguments before calling in, so nothing here throws on valid input.
 */
export class SequenceCore<C> {
  readonly tree: RunTree<C>;
  readonly agents: AgentState<C>[] = [];
  readonly me: number;
  /** Every applied operation in integration order (a causal order), run-length merged. */
  readonly log = new OpLog<C>();
  /** Remote operations whose dependencies have not arrived yet. */
  pending: UpdateOp<C>[] = [];
  /** Flat triples of ids known deleted but not yet received (deletes that overtook inserts). */
  pendingDeletes: number[] = [];
  /** Lamport clock for list moves. */
  maxStamp = 0;
  private readonly agentIdx = new Map<string, number>();
  private winners: Map<string, { a: number; s: number; stamp: number }> | null = null;

  constructor(
    replica: string,
    readonly ops: ContentOps<C>,
  ) {
    this.tree = new RunTree(ops);
    this.me = this.agentIndex(replica);
  }

  agentIndex(name: string): number {
    let i = this.agentIdx.get(name);
    if (i === undefined) {
      i = this.agents.length;
      this.agents.push({ name, next: 0, entries: [], ops: [] });
      this.agentIdx.set(name, i);
    }
    return i;
  }

  /** The run holding item `a:s`, or null if this replica has no such item. */
  findRun(a: number, s: number): Run<C> | null {
    const st = this.agents[a];
    if (st === undefined || s < 0 || s >= st.next) return null;
    const es = st.entries;
    let lo = 0;
    let hi = es.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((es[mid] as InsertEntry<C>).seq <= s) lo = mid;
      else hi = mid - 1;
    }
    const e = es[lo] as InsertEntry<C>;
    if (s < e.seq || s >= e.seq + e.len) return null;
    return e.frags[e.fragIndex(s)] as Run<C>;
  }

  /** Inserts `n` items (`content`) so that the first lands at visible `index` (0..length). */
  insertLocal(index: number, content: C, n: number, move?: MoveMeta): number {
    const tree = this.tree;
    const me = this.me;
    const st = this.agents[me] as AgentState<C>;
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
        oRa = first.agent;
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
          oRa = nx.agent;
          oRs = nx.seq;
        }
        // Typing: extend the run we typed last instead of creating a new one.
        if (r.agent === me && r.seq + r.len === seq && move === undefined && r.entry.move === undefined && r.oRa === oRa && (oRa < 0 || r.oRs === oRs)) {
          r.content = this.ops.append(r.content as C, content);
          r.len += n;
          r.entry.len += n;
          tree.changeVis(r.block, n);
          st.next += n;
          this.log.len[st.ops[st.ops.length - 1] as number]! += n;
          return seq;
        }
      } else {
        const right = tree.splitRun(r, ri, off + 1);
        oRa = right.agent;
        oRs = right.seq;
      }
      oLa = r.agent;
      oLs = r.seq + off;
      block = r.block;
      idx = (block.runs[ri] === r ? ri : block.runs.indexOf(r)) + 1;
    }
    const run = new Run<C>(me, seq, n, content, oLa, oLs, oRa, oRs, block, null);
    run.entry.move = move;
    tree.insert(block, idx, run);
    st.entries.push(run.entry);
    st.next += n;
    this.pushLog(0, me, seq, n, run.entry);
    return seq;
  }

  /** Deletes `n` visible items starting at `index` (index + n <= length). */
  deleteLocal(index: number, n: number): void {
    const tree = this.tree;
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
      addTarget(targets, r.agent, r.seq, k);
      tree.markDeleted(r, r.block.runs[ri] === r ? ri : r.block.runs.indexOf(r));
      remaining -= k;
    }
    const st = this.agents[this.me] as AgentState<C>;
    const seq = st.next;
    st.next += n;
    const log = this.log;
    const last = log.length - 1;
    if (last >= 0 && log.kind[last] === 1 && log.agent[last] === this.me && log.seq[last]! + log.len[last]! === seq) {
      log.len[last]! += n;
      const lt = log.ref[last] as number[];
      for (let i = 0; i < targets.length; i += 3) addTarget(lt, targets[i]!, targets[i + 1]!, targets[i + 2]!);
      return;
    }
    this.pushLog(1, this.me, seq, n, targets);
  }

  /** Content and id of the visible item at `index` (0 <= index < length). */
  itemAt(index: number): { run: Run<C>; off: number } {
    this.tree.find(index);
    return { run: this.tree.fRun as Run<C>, off: this.tree.fOff };
  }

  /** Applies a decoded update; returns whether anything visible may have changed. */
  apply(update: Update<C>): boolean {
    let changed = false;
    for (const list of [update.ops, update.pending]) {
      for (const op of list) {
        const r = this.tryApply(op);
        if (r === APPLIED) changed = true;
        else if (r === BLOCKED) this.addPending(op);
      }
    }
    if (changed && this.pending.length > 0) this.retryPending();
    if (update.tombstones.length > 0) {
      this.deleteIds(update.tombstones);
      changed = true;
    }
    return changed;
  }

  /** True for a replica that has never seen an operation (decode can then build a fresh one). */
  isEmpty(): boolean {
    return this.log.length === 0 && this.pending.length === 0 && this.pendingDeletes.length === 0;
  }

  /**
   * Applies one operation that may be a reused scratch object (streaming decode): anything kept
   * for later is copied. Returns whether it was applied.
   */
  applyOne(op: UpdateOp<C>): boolean {
    const r = this.tryApply(op);
    if (r === BLOCKED) this.addPending(op.kind === 0 ? { ...op, parts: op.parts.map((p) => ({ len: p.len, content: p.content })) } : { ...op });
    else if (r === APPLIED && this.pending.length > 0) this.retryPending();
    return r === APPLIED;
  }

  version(): Record<string, number> {
    const v: Record<string, number> = {};
    for (const st of this.agents) if (st.next > 0) v[st.name] = st.next;
    return v;
  }

  since(version: Readonly<Record<string, number>>): Update<C> {
    return collectSince(this, version);
  }

  private addPending(op: UpdateOp<C>): void {
    for (const p of this.pending) if (p.agent === op.agent && p.seq === op.seq && p.len === op.len) return;
    this.pending.push(op);
  }

  private retryPending(): void {
    for (let progress = true; progress; ) {
      progress = false;
      const list = this.pending;
      this.pending = [];
      for (const op of list) {
        const r = this.tryApply(op);
        if (r === APPLIED) progress = true;
        else if (r === BLOCKED) this.pending.push(op);
      }
    }
  }

  private tryApply(op0: UpdateOp<C>): number {
    const st = this.agents[op0.agent] as AgentState<C>;
    // Deleted parts of an insert we already have still say "these items are deleted": a full
    // snapshot conveys deletions only this way.
    if (op0.kind === 0 && op0.seq < st.next && op0.parts.length > 0 && this.deleteKnownParts(op0, st.next)) {
      if (op0.seq + op0.len <= st.next) return APPLIED;
    }
    if (op0.seq + op0.len <= st.next) return SKIPPED;
    if (op0.seq > st.next) return BLOCKED;
    const op = op0.seq < st.next ? trimOp(op0, st.next - op0.seq, this.ops) : op0;
    if (op.kind === 0) {
      if (op.oLa >= 0 && this.findRun(op.oLa, op.oLs) === null) return BLOCKED;
      if (op.oRa >= 0 && this.findRun(op.oRa, op.oRs) === null) return BLOCKED;
      this.integrate(op);
      return APPLIED;
    }
    st.next = op.seq + op.len;
    if (op.kind === 1) {
      this.deleteIds(op.targets);
      this.pushLog(1, op.agent, op.seq, op.len, op.targets.slice());
    } else {
      const log = this.log;
      const last = log.length - 1;
      if (last >= 0 && log.kind[last] === 2 && log.agent[last] === op.agent && log.seq[last]! + log.len[last]! === op.seq) log.len[last]! += op.len;
      else this.pushLog(2, op.agent, op.seq, op.len, null);
    }
    return APPLIED;
  }

  /** Deletes the items of `op`'s deleted parts below `next`; returns whether there were any. */
  private deleteKnownParts(op: InsertOp<C>, next: number): boolean {
    let seq = op.seq;
    let any = false;
    for (const p of op.parts) {
      if (seq >= next) break;
      if (p.content === null) {
        this.deleteIds([op.agent, seq, Math.min(p.len, next - seq)]);
        any = true;
      }
      seq += p.len;
    }
    return any;
  }

  private integrate(op: InsertOp<C>): void {
    const tree = this.tree;
    const st = this.agents[op.agent] as AgentState<C>;
    const dest = placeInsert(this, op);
    let block = dest.block;
    let idx = dest.idx;
    if (idx > 0 && this.extendRemote(block.runs[idx - 1] as Run<C>, op, st)) {
      this.afterInsert(op);
      return;
    }
    let entry: InsertEntry<C> | null = null;
    let seq = op.seq;
    for (const part of op.parts) {
      const first: boolean = entry === null;
      const run: Run<C> = new Run<C>(op.agent, seq, part.len, part.content, first ? op.oLa : op.agent, first ? op.oLs : seq - 1, op.oRa, op.oRs, block, entry);
      if (entry === null) {
        entry = run.entry;
        run.entry.len = op.len;
        run.entry.move = op.move;
      } else entry.frags.push(run);
      tree.insert(block, idx, run);
      block = run.block;
      idx = (block.runs[idx] === run ? idx : block.runs.indexOf(run)) + 1;
      seq += part.len;
    }
    st.entries.push(entry as InsertEntry<C>);
    st.next = op.seq + op.len;
    this.pushLog(0, op.agent, op.seq, op.len, entry);
    this.afterInsert(op);
  }

  /**
   * A remote insert that continues the run it lands after (the other replica kept typing) joins
   * that run, its insert entry and its log operation, exactly as local typing does.
   */
  private extendRemote(prev: Run<C>, op: InsertOp<C>, st: AgentState<C>): boolean {
    const part = op.parts[0];
    if (op.parts.length !== 1 || part === undefined || part.content === null || op.move !== undefined) return false;
    const entry = prev.entry;
    if (prev.agent !== op.agent || prev.seq + prev.len !== op.seq || prev.content === null || entry.move !== undefined || entry.seq + entry.len !== op.seq) return false;
    if (op.oLa !== op.agent || op.oLs !== op.seq - 1 || prev.oRa !== op.oRa || (op.oRa >= 0 && prev.oRs !== op.oRs)) return false;
    const last = st.ops[st.ops.length - 1];
    if (last === undefined || this.log.ref[last] !== entry) return false;
    prev.content = this.ops.append(prev.content, part.content);
    prev.len += op.len;
    entry.len += op.len;
    this.log.len[last]! += op.len;
    st.next = op.seq + op.len;
    this.tree.changeVis(prev.block, op.len);
    return true;
  }

  private afterInsert(op: InsertOp<C>): void {
    if (op.move !== undefined) this.registerMove(op.agent, op.seq, op.move);
    else if (this.winners !== null) {
      for (let s = op.seq; s < op.seq + op.len; s++) {
        const w = this.winners.get(op.agent + ':' + s);
        if (w !== undefined && w.stamp > 0) this.deleteIds([op.agent, s, 1]);
      }
    }
    if (this.pendingDeletes.length > 0) {
      const pd = this.pendingDeletes;
      this.pendingDeletes = [];
      this.deleteIds(pd);
    }
  }

  /**
   * A list element lives in the slot written by its winning move (highest Lamport stamp, then
   * replica id); every other slot of it is deleted here, deterministically on every replica, so
   * concurrent moves never duplicate an element.
   */
  registerMove(slotA: number, slotS: number, m: MoveMeta): void {
    if (this.winners === null) this.winners = new Map();
    if (m.stamp > this.maxStamp) this.maxStamp = m.stamp;
    const key = m.ea + ':' + m.es;
    const cur = this.winners.get(key) ?? { a: m.ea, s: m.es, stamp: 0 };
    const wins = m.stamp > cur.stamp || (m.stamp === cur.stamp && (this.agents[slotA] as AgentState<C>).name > (this.agents[cur.a] as AgentState<C>).name);
    if (wins) {
      this.deleteIds([cur.a, cur.s, 1]);
      this.winners.set(key, { a: slotA, s: slotS, stamp: m.stamp });
    } else this.deleteIds([slotA, slotS, 1]);
  }

  /** Marks the items named by flat triples deleted; ids not received yet wait in pendingDeletes. */
  deleteIds(triples: readonly number[]): void {
    const tree = this.tree;
    for (let i = 0; i < triples.length; i += 3) {
      const a = triples[i]!;
      let s = triples[i + 1]!;
      let l = triples[i + 2]!;
      const st = this.agents[a];
      if (st === undefined) continue;
      while (l > 0) {
        if (s >= st.next) {
          this.pendingDeletes.push(a, s, l);
          break;
        }
        const r = this.findRun(a, s);
        if (r === null) {
          // `s` is the id of a delete, not an item: skip to the next insert of this agent.
          const skip = Math.min(l, nextEntryStart(st, s) - s);
          s += skip;
          l -= skip;
          continue;
        }
        const off = s - r.seq;
        const k = Math.min(l, r.len - off);
        if (r.content !== null) {
          let t = r;
          let idx = r.block.runs.indexOf(r);
          if (off > 0) {
            t = tree.splitRun(r, idx, off);
            idx = t.block.runs.indexOf(t);
          }
          if (t.len > k) tree.splitRun(t, idx, k);
          tree.markDeleted(t, t.block.runs[idx] === t ? idx : t.block.runs.indexOf(t));
        }
        s += k;
        l -= k;
      }
    }
  }

  private pushLog(kind: 0 | 1 | 2, agent: number, seq: number, len: number, ref: InsertEntry<C> | number[] | null): void {
    (this.agents[agent] as AgentState<C>).ops.push(this.log.push(kind, agent, seq, len, ref));
  }
}

function nextEntryStart<C>(st: AgentState<C>, s: number): number {
  for (const e of st.entries) if (e.seq > s) return e.seq;
  return st.next;
}

/** Appends the id range to flat triples, merging with the last range when adjacent. */
export function addTarget(t: number[], a: number, s: number, l: number): void {
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
    parts.push(skip === 0 ? p : { len: p.len - skip, content: p.content === null ? null : ops.slice(p.content, skip, p.len) });
    skip = 0;
  }
  return { kind: 0, agent: op.agent, seq, len, oLa: op.agent, oLs: seq - 1, oRa: op.oRa, oRs: op.oRs, parts, move: op.move };
}
