import type { ContentOps } from './content.js';
import { OpLog } from './OpLog.js';
import type { InsertEntry, MoveMeta, Run } from './Run.js';
import { RunTree } from './RunTree.js';
import { TypingTail } from './typingTail.js';
import type { InsertOp, UpdateOp } from './updateOps.js';

/** Per replica: its next seq (the version entry), its inserts by seq, its log operations by seq. */
export interface AgentState<C> {
  name: string;
  next: number;
  entries: InsertEntry<C>[];
  /** Index in the {@link OpLog} of this agent's last operation (-1: none). */
  lastOp: number;
}

/**
 * The state of one sequence replica, shared by {@link Text} and {@link List}: the runs in
 * document order, the replicas and their items by id, the operation log that delta updates are
 * cut from, and what waits for missing dependencies. It also holds what every kind of edit
 * relies on: resolving an id to its run, deleting by id, and list moves.
 *
 * The edits themselves live beside it: local edits by position in `localEdits.ts`, remote
 * operations by id in `applyRemote.ts` (placement in `integrate.ts`), delta updates in
 * `collectSince.ts`. Public classes validate arguments before calling in, so nothing here throws
 * on valid input.
 */
export class SequenceCore<C> {
  readonly tree: RunTree<C>;
  readonly agents: AgentState<C>[] = [];
  /** `agents[i].name` by index, as the encoder wants them. */
  readonly names: string[] = [];
  readonly me: number;
  /** Every applied operation in integration order (a causal order), run-length merged. */
  readonly log = new OpLog();
  /** Remote operations whose dependencies have not arrived yet. */
  pending: UpdateOp<C>[] = [];
  /** Flat triples of ids known deleted but not yet received (deletes that overtook inserts). */
  pendingDeletes: number[] = [];
  /** Lamport clock for list moves. */
  maxStamp = 0;
  /**
   * Set once compacted (or given a compacted snapshot): per agent, its next id at compaction.
   * Items below it are the base that inserts naming a compacted origin are placed against.
   */
  base: number[] | null = null;
  private readonly agentIdx = new Map<string, number>();
  private readonly mapIdx: number[] = [];
  /** The slots written by list moves (absent for every other insert). */
  private moves: Map<InsertEntry<C>, MoveMeta> | null = null;
  /** The run that typing (local or remote) appends to; its content is not compact yet. */
  readonly typing: TypingTail<C>;
  private winners: Map<string, { a: number; s: number; stamp: number }> | null = null;

  constructor(
    replica: string,
    readonly ops: ContentOps<C>,
  ) {
    this.tree = new RunTree(ops);
    this.typing = new TypingTail(ops);
    this.me = this.agentIndex(replica);
  }

  agentIndex(name: string): number {
    let i = this.agentIdx.get(name);
    if (i === undefined) {
      i = this.agents.length;
      this.agents.push({ name, next: 0, entries: [], lastOp: -1 });
      this.names.push(name);
      this.agentIdx.set(name, i);
    }
    return i;
  }

  /**
   * Our agent index for each of an update's agents, in an array that is reused by the next call
   * (it is needed only while the update is remapped). The decoder hands out the same name
   * strings again, so with few agents an identity scan of our names beats hashing.
   */
  agentMap(names: readonly string[]): number[] {
    const map = this.mapIdx;
    const ours = this.names;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      let a = -1;
      if (ours.length <= 8) for (let j = 0; j < ours.length && a < 0; j++) if (ours[j] === name) a = j;
      map[i] = a >= 0 ? a : this.agentIndex(name);
    }
    return map;
  }

  /** The run holding item `a:s`, or null if this replica has no such item. */
  findRun(a: number, s: number): Run<C> | null {
    const e = this.findEntry(a, s);
    return e === null ? null : e.fragOf(s);
  }

  /** The insert holding item `a:s`, or null if this replica has no such item. */
  findEntry(a: number, s: number): InsertEntry<C> | null {
    const st = this.agents[a];
    if (st === undefined || s < 0 || s >= st.next) return null;
    const es = st.entries;
    let hi = es.length - 1;
    if (hi < 0) return null;
    // Most lookups name a recent item (typing, origins of a new insert): try the last insert.
    const lastE = es[hi] as InsertEntry<C>;
    if (s >= lastE.seq) return s < lastE.seq + lastE.len ? lastE : null;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((es[mid] as InsertEntry<C>).seq <= s) lo = mid;
      else hi = mid - 1;
    }
    const e = es[lo] as InsertEntry<C>;
    if (s < e.seq || s >= e.seq + e.len) return null;
    return e;
  }

  /** Content and id of the visible item at `index` (0 <= index < length). */
  itemAt(index: number): { run: Run<C>; off: number } {
    this.tree.find(index);
    return { run: this.tree.fRun as Run<C>, off: this.tree.fOff };
  }

  /** True for a replica that has never seen an operation (decode can then build a fresh one). */
  isEmpty(): boolean {
    return this.log.length === 0 && this.pending.length === 0 && this.pendingDeletes.length === 0;
  }

  version(): Record<string, number> {
    const v: Record<string, number> = {};
    const agents = this.agents;
    for (let i = 0; i < agents.length; i++) {
      const st = agents[i] as AgentState<C>;
      if (st.next > 0) v[st.name] = st.next;
    }
    return v;
  }

  /** The move that wrote insert `e` (a list slot), if any. */
  moveOf(e: InsertEntry<C>): MoveMeta | undefined {
    return this.moves === null ? undefined : this.moves.get(e);
  }

  /** Whether any insert was written by a move (list moves). */
  hasMoves(): boolean {
    return this.moves !== null;
  }

  setMove(e: InsertEntry<C>, m: MoveMeta | undefined): void {
    if (m !== undefined) (this.moves ??= new Map()).set(e, m);
  }

  /**
   * After a remote insert is integrated: a move registers its slot, items whose element has
   * already moved elsewhere are deleted, and deletes that were waiting for these ids apply.
   */
  afterInsert(op: InsertOp<C>): void {
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
    const wins =
      m.stamp > cur.stamp ||
      (m.stamp === cur.stamp &&
        (this.agents[slotA] as AgentState<C>).name > (this.agents[cur.a] as AgentState<C>).name);
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

  /** Appends `content` to run `r` (typing that continues it); see {@link TypingTail}. */
  grow(r: Run<C>, content: C): void {
    this.typing.append(r, content);
  }

  /**
   * Appends an operation to the log. Its ids must continue its agent's previous operation (they
   * always do: an operation applies only at its agent's next id), which is what lets the log
   * leave ids out.
   */
  pushLog(kind: 0 | 1 | 2, agent: number, len: number, targets: readonly number[] | null): void {
    (this.agents[agent] as AgentState<C>).lastOp = this.log.push(kind, agent, len, targets);
  }
}

/**
 * The first id of the agent's first insert after id `s`, or its next id. A binary search: after
 * compaction most of an agent's ids are gaps, and a merged snapshot that still lists them as
 * deleted parts asks once per part.
 */
function nextEntryStart<C>(st: AgentState<C>, s: number): number {
  const es = st.entries;
  let lo = 0;
  let hi = es.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((es[mid] as InsertEntry<C>).seq > s) hi = mid;
    else lo = mid + 1;
  }
  const e = es[lo];
  return e === undefined ? st.next : e.seq;
}
