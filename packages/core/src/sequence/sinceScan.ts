import type { AgentState, SequenceCore } from './SequenceCore.js';

/**
 * Where an update for a replica at some version starts in the operation log, found by walking
 * the log back from its end: that costs what the forward pass over the operations after it costs
 * anyway, so the update of one keystroke is O(1) log steps.
 *
 * An agent's operations tile its ids `0 .. next-1` in log order, so walking back, an operation's
 * first id is its agent's next minus what came after, and the first operation that starts at or
 * below the version's entry is the agent's last one the receiver lacks (or has entirely). The
 * walk notes each operation's first id and, for a delete, where its target record ends.
 */
export class Scan {
  /** The version is empty: the update is a full snapshot. */
  full = true;
  /** First log index the receiver may lack (`n` when none). */
  start = 0;
  /** Log length at the scan. */
  n = 0;
  /** The receiver's next id per agent. */
  from: number[] = [];
  /** By distance from the log's end: first ids, and delete records' pool ends. */
  seqs: number[] = [];
  recs: number[] = [];
  open: boolean[] = [];
  end: number[] = [];
  busy = false;

  /** First id of log operation `k` (start <= k < n). */
  seqOf(k: number): number {
    return this.seqs[this.n - 1 - k] as number;
  }

  /** Pool end of delete `k`'s target record (start <= k < n). */
  recordOf(k: number): number {
    return this.recs[this.n - 1 - k] as number;
  }
}

const shared = new Scan();

/**
 * Scans for `version`. The scan's arrays are reused by the next scan, so the caller gives it back
 * with {@link releaseScan} when done; a scan taken while another is held (an encode inside a list
 * value's toJSON, during an encode) gets its own.
 */
export function scanSince<C>(core: SequenceCore<C>, version: Readonly<Record<string, number>>): Scan {
  const sc = shared.busy ? new Scan() : shared;
  sc.busy = true;
  const agents = core.agents;
  const { from, open, end } = sc;
  let nOpen = 0;
  let full = true;
  for (let a = 0; a < agents.length; a++) {
    const st = agents[a] as AgentState<C>;
    const v = Object.hasOwn(version, st.name) ? version[st.name] : 0;
    const f = typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
    from[a] = f;
    if (f > 0) full = false;
    // Agents with operations the receiver lacks whose first such operation is not found yet.
    open[a] = st.next > f;
    if (st.next > f) nOpen++;
    end[a] = st.next;
  }
  const log = core.log;
  const n = log.length;
  const seqs = sc.seqs;
  const recs = sc.recs;
  let start = n;
  let poolEnd = log.poolLen;
  for (let k = n - 1; nOpen > 0 && k >= 0; k--) {
    const a = log.agent(k);
    const len = log.len[k] as number;
    const s = (end[a] as number) - len;
    end[a] = s;
    if (log.kind(k) === 1) {
      recs[n - 1 - k] = poolEnd;
      poolEnd = log.recordStart(poolEnd);
    }
    seqs[n - 1 - k] = s;
    if (!open[a]) continue;
    const f = from[a] as number;
    if (s + len > f) start = k;
    if (s <= f) {
      open[a] = false;
      nOpen--;
    }
  }
  sc.full = full;
  sc.start = start;
  sc.n = n;
  return sc;
}

/** Gives a scan back; a snapshot's notes cover the whole log and are dropped, not kept. */
export function releaseScan(sc: Scan): void {
  sc.busy = false;
  if (sc.seqs.length > 4096) {
    sc.seqs = [];
    sc.recs = [];
  }
}
