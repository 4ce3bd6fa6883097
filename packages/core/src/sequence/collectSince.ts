import type { InsertEntry } from './Run.js';
import type { AgentState, SequenceCore } from './SequenceCore.js';
import type { InsertOp, Update, UpdateOp } from './updateOps.js';

const fromScratch: number[] = [];
const openScratch: boolean[] = [];
const endScratch: number[] = [];
/**
 * Indexed by distance from the log's end: first ids, and delete records' pool ends. A snapshot
 * fills them for the whole log; they are then dropped rather than kept for the next keystroke.
 */
let seqScratch: number[] = [];
let recScratch: number[] = [];
/** Shared empty lists for the usual update (the encoder only reads them). */
const NONE: number[] = [];
const NONE_PENDING: UpdateOp<never>[] = [];

/**
 * The operations a replica at `version` lacks, in log order (so causally ordered). The first is
 * found by scanning the log back from its end, which costs what the forward pass over the
 * operations after it costs anyway: the update of one keystroke is O(1) log steps.
 * An empty version yields a snapshot: deletes are left out (implicit claims) because the
 * inserts carry their deleted parts.
 */
export function collectSince<C>(core: SequenceCore<C>, version: Readonly<Record<string, number>>): Update<C> {
  const agents = core.agents;
  // Scratch arrays, refilled for every call (nothing here calls out, so no call can overlap).
  const from = fromScratch;
  /** Agents with operations the receiver lacks whose first such operation is not found yet. */
  const open = openScratch;
  let nOpen = 0;
  let full = true;
  for (let a = 0; a < agents.length; a++) {
    const st = agents[a] as AgentState<C>;
    const v = Object.hasOwn(version, st.name) ? version[st.name] : 0;
    const f = typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
    from[a] = f;
    if (f > 0) full = false;
    open[a] = st.next > f;
    if (st.next > f) nOpen++;
  }
  const log = core.log;
  const n = log.length;
  let start = n;
  // An agent's operations tile its ids 0..next-1 in log order, so walking back from the end, an
  // operation's first id is its agent's next minus what came after, and the first operation that
  // starts at or below `from` is the agent's last one the receiver lacks (or has entirely). The
  // walk notes each operation's first id and, for a delete, where its target record ends.
  const end = endScratch;
  for (let a = 0; a < agents.length; a++) end[a] = (agents[a] as AgentState<C>).next;
  let poolEnd = log.poolLen;
  let k = n - 1;
  for (; nOpen > 0 && k >= 0; k--) {
    const a = log.agent(k);
    const len = log.len[k] as number;
    const s = (end[a] as number) - len;
    end[a] = s;
    if (log.kind(k) === 1) {
      recScratch[n - 1 - k] = poolEnd;
      poolEnd = log.recordStart(poolEnd);
    }
    seqScratch[n - 1 - k] = s;
    if (!open[a]) continue;
    const f = from[a] as number;
    if (s + len > f) start = k;
    if (s <= f) {
      open[a] = false;
      nOpen--;
    }
  }
  const out: UpdateOp<C>[] = [];
  let needTombstones = false;
  for (let k = start; k < n; k++) {
    const agent = log.agent(k);
    const lseq = seqScratch[n - 1 - k] as number;
    const llen = log.len[k] as number;
    const kind = log.kind(k);
    const f = from[agent] as number;
    if (lseq + llen <= f) continue;
    const cut = f > lseq ? f - lseq : 0;
    const seq = lseq + cut;
    const len = llen - cut;
    if (kind === 0) out.push(insertOpFrom(core, core.findEntry(agent, lseq) as InsertEntry<C>, seq, lseq + llen));
    else if (full) continue;
    else if (kind === 1) out.push({ kind: 1, agent, seq, len, targets: log.targets(recScratch[n - 1 - k] as number) });
    else {
      out.push({ kind: 2, agent, seq, len });
      needTombstones = true;
    }
  }
  if (n - 1 - k > 4096) {
    seqScratch = [];
    recScratch = [];
  }
  const tombstones = core.pendingDeletes.length > 0 || (needTombstones && !full) ? core.pendingDeletes.slice() : NONE;
  if (needTombstones && !full) collectTombstones(core, tombstones);
  return { ops: out, pending: core.pending.length > 0 ? core.pending.slice() : NONE_PENDING, tombstones, ends: full ? agents.map((st) => st.next) : null };
}

/** The insert of ids `seq .. end-1` of `entry`, with each part's current content or deletion. */
function insertOpFrom<C>(core: SequenceCore<C>, entry: InsertEntry<C>, seq: number, end: number): InsertOp<C> {
  const n = entry.count;
  let fi = entry.fragIndex(seq);
  const parts: InsertOp<C>['parts'] = [];
  const ops = core.ops;
  for (; fi < n; fi++) {
    const f = entry.frag(fi);
    if (f.seq >= end) break;
    const a = seq > f.seq ? seq - f.seq : 0;
    const b = Math.min(f.len, end - f.seq);
    const c = f.content === null ? null : a === 0 && b === f.len ? f.content : ops.slice(f.content, a, b);
    const prev = parts[parts.length - 1];
    if (prev !== undefined && (prev.content === null) === (c === null)) {
      prev.len += b - a;
      if (c !== null) prev.content = ops.append(ops.slice(prev.content as C, 0, prev.len - (b - a)), c);
    } else parts.push({ len: b - a, content: c });
  }
  const oL = seq === entry.seq;
  return {
    kind: 0,
    agent: entry.agent,
    seq,
    len: end - seq,
    oLa: oL ? entry.oLa : entry.agent,
    oLs: oL ? entry.oLs : seq - 1,
    oRa: entry.oRa,
    oRs: entry.oRs,
    parts,
    move: core.moveOf(entry),
  };
}

/** Every deleted item, as merged id ranges (sent when claims hide which deletes are new). */
function collectTombstones<C>(core: SequenceCore<C>, out: number[]): void {
  core.agents.forEach((st, a) => {
    for (const e of st.entries) {
      for (let i = 0; i < e.count; i++) {
        const f = e.frag(i);
        if (f.content !== null) continue;
        const n = out.length;
        if (n > 0 && out[n - 3] === a && out[n - 2]! + out[n - 1]! === f.seq) out[n - 1]! += f.len;
        else out.push(a, f.seq, f.len);
      }
    }
  });
}
