import type { ContentCodec } from './contentCodec.js';
import { takeTables, writeHead, writeHeader } from './encodeUpdate.js';
import type { InsertEntry } from './Run.js';
import type { SequenceCore } from './SequenceCore.js';
import { releaseScan, scanSince } from './sinceScan.js';
import { T_PARTS } from './updateFormat.js';

/** Part lengths (doubled, +1 when deleted) of the insert being written; reused. */
const partCodes: number[] = [];

/**
 * `encodeSince` for a delta, written straight from the operation log: the same bytes as
 * `encodeUpdate(collectSince(…))` (a test holds them equal) without building an object per
 * operation and part — a keystroke's update is encoded in every transaction of a sync session.
 * Returns null where the general path is needed: a snapshot (empty version), operations or
 * deletes waiting in this replica, claims (a replica restored from a snapshot), list moves.
 */
export function encodeDelta<C>(
  core: SequenceCore<C>,
  version: Readonly<Record<string, number>>,
  codec: ContentCodec<C>,
): Uint8Array | null {
  if (core.pending.length > 0 || core.pendingDeletes.length > 0 || core.hasMoves()) return null;
  const sc = scanSince(core, version);
  if (sc.full) {
    releaseScan(sc);
    return null;
  }
  const { start, n, from } = sc;
  const log = core.log;
  const t = takeTables();
  try {
    // Pass 1: the agent table (in the order the general encoder meets agents) and the content.
    let count = 0;
    for (let k = start; k < n; k++) {
      const agent = log.agent(k);
      const lseq = sc.seqOf(k);
      const end = lseq + (log.len[k] as number);
      const f = from[agent] as number;
      if (end <= f) continue;
      const kind = log.kind(k);
      if (kind === 2) return null;
      count++;
      t.ref(agent);
      if (kind === 0) {
        const seq = f > lseq ? f : lseq;
        const e = core.findEntry(agent, lseq) as InsertEntry<C>;
        for (let fi = e.fragIndex(seq); fi < e.count; fi++) {
          const r = e.frag(fi);
          if (r.seq >= end) break;
          if (r.content === null) continue;
          const a = seq > r.seq ? seq - r.seq : 0;
          const b = Math.min(r.len, end - r.seq);
          if (a === 0 && b === r.len) t.contents[t.nContents++] = r.content;
          else t.nContents = core.typing.addContent(r, a, b, t.contents, t.nContents);
        }
        const oLa = seq === e.seq ? e.oLa : agent;
        if (oLa >= 0) t.ref(oLa);
        if (e.oRa >= 0) t.ref(e.oRa);
      } else {
        const rec = sc.recordOf(k);
        for (let i = log.recordStart(rec); i < rec - 1; i += 3) t.ref(log.poolAt(i));
      }
    }
    const w = writeHeader(t, core.names, codec, 0);
    // Pass 2: the operations.
    w.u(count);
    for (let k = start; k < n; k++) {
      const agent = log.agent(k);
      const lseq = sc.seqOf(k);
      const end = lseq + (log.len[k] as number);
      const f = from[agent] as number;
      if (end <= f) continue;
      const seq = f > lseq ? f : lseq;
      if (log.kind(k) === 0) {
        const e = core.findEntry(agent, lseq) as InsertEntry<C>;
        // Parts as the general encoder has them: fragments merged while visibility is the same.
        let np = 0;
        let prevDeleted = false;
        for (let fi = e.fragIndex(seq); fi < e.count; fi++) {
          const r = e.frag(fi);
          if (r.seq >= end) break;
          const len = Math.min(r.len, end - r.seq) - (seq > r.seq ? seq - r.seq : 0);
          const deleted = r.content === null;
          if (np > 0 && deleted === prevDeleted) partCodes[np - 1]! += len * 2;
          else partCodes[np++] = len * 2 + (deleted ? 1 : 0);
          prevDeleted = deleted;
        }
        const first = seq === e.seq;
        const tag = writeHead(
          w,
          t,
          0,
          agent,
          seq,
          end - seq,
          first ? e.oLa : agent,
          first ? e.oLs : seq - 1,
          e.oRa,
          e.oRs,
          np,
          np === 1 && prevDeleted,
          false,
        );
        if (tag & T_PARTS) {
          w.u(np);
          for (let i = 0; i < np; i++) w.u(partCodes[i] as number);
        }
      } else {
        // A delete keeps all its targets (see collectSince).
        writeHead(w, t, 1, agent, seq, end - seq, -1, 0, -1, 0, 0, false, false);
        const rec = sc.recordOf(k);
        const from0 = log.recordStart(rec);
        w.u((rec - 1 - from0) / 3);
        for (let i = from0; i < rec - 1; i += 3) {
          w.u(t.ref(log.poolAt(i)));
          w.u(log.poolAt(i + 1));
          w.u(log.poolAt(i + 2));
        }
      }
    }
    w.u(0); // waiting operations
    w.u(0); // tombstones
    return w.finish();
  } finally {
    t.busy = false;
    releaseScan(sc);
  }
}
