import type { InsertEntry } from './Run.js';
import type { SequenceCore } from './SequenceCore.js';
import { releaseScan, scanSince } from './sinceScan.js';
import type { InsertOp, Update, UpdateOp } from './updateOps.js';

/** Shared empty lists for the usual update (the encoder only reads them). */
const NONE: number[] = [];
const NONE_PENDING: UpdateOp<never>[] = [];

/**
 * The operations a replica at `version` lacks, in log order (so causally ordered), from the
 * first one {@link scanSince} finds. An empty version yields a snapshot: deletes are left out
 * (implicit claims) because the inserts carry their deleted parts.
 */
export function collectSince<C>(core: SequenceCore<C>, version: Readonly<Record<string, number>>): Update<C> {
  const sc = scanSince(core, version);
  const { full, start, n, from } = sc;
  const agents = core.agents;
  const log = core.log;
  const out: UpdateOp<C>[] = [];
  let needTombstones = false;
  for (let k = start; k < n; k++) {
    const agent = log.agent(k);
    const lseq = sc.seqOf(k);
    const llen = log.len[k] as number;
    const kind = log.kind(k);
    const f = from[agent] as number;
    if (lseq + llen <= f) continue;
    const cut = f > lseq ? f - lseq : 0;
    const seq = lseq + cut;
    const len = llen - cut;
    if (kind === 0)
      out.push(insertOpFrom(core, core.findEntry(agent, lseq) as InsertEntry<C>, seq, lseq + llen));
    else if (full) continue;
    else if (kind === 1) out.push({ kind: 1, agent, seq, len, targets: log.targets(sc.recordOf(k)) });
    else {
      out.push({ kind: 2, agent, seq, len });
      needTombstones = true;
    }
  }
  releaseScan(sc);
  const tombstones =
    core.pendingDeletes.length > 0 || (needTombstones && !full) ? core.pendingDeletes.slice() : NONE;
  if (needTombstones && !full) collectTombstones(core, tombstones);
  return {
    ops: out,
    pending: core.pending.length > 0 ? core.pending.slice() : NONE_PENDING,
    tombstones,
    ends: full ? agents.map((st) => st.next) : null,
    base: full ? core.base : null,
  };
}

/** The insert of ids `seq .. end-1` of `entry`, with each part's current content or deletion. */
function insertOpFrom<C>(
  core: SequenceCore<C>,
  entry: InsertEntry<C>,
  seq: number,
  end: number,
): InsertOp<C> {
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
