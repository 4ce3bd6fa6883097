import { docFromJSON, encodeDoc, type Change, type ChangeResult } from '@fieldsync/core';
import { stampsBelow } from '../history/HistoryCompactor.js';
import type { CommitPlan } from '../storage/StorageEngine.js';
import type { Working } from './mergeChange.js';

/**
 * Changes made before the history horizon may be retries whose ids were compacted away: if
 * merging them changed nothing, they are answered `duplicate` and nothing is written, so a
 * retry (or a deterministic re-seed) never rewrites documents and wakes every device.
 * (Only for old changes: the comparison costs an encode, off the hot path.)
 *
 * Updates `work` (such documents are no longer touched), `results` and `accepted` in place.
 */
export function settleOldRetries(
  horizonMs: number,
  work: ReadonlyMap<string, Working>,
  valid: ReadonlyArray<{ i: number; c: Change }>,
  results: Array<ChangeResult | undefined>,
  accepted: CommitPlan['changes'],
): void {
  const below = stampsBelow(Date.now() - horizonMs);
  for (const w of work.values()) {
    if (!w.touched || !w.before || w.applied.some((c) => c.stamp >= below)) continue;
    const before = encodeDoc(docFromJSON(JSON.parse(w.before.state)));
    if (!Buffer.from(before).equals(encodeDoc(w.doc))) continue;
    w.touched = false;
    const ids = new Set(w.applied.map((c) => c.id));
    for (const { i, c } of valid) if (ids.has(c.id)) results[i] = { id: c.id, status: 'duplicate' };
    for (let k = accepted.length - 1; k >= 0; k--) if (ids.has(accepted[k]!.id)) accepted.splice(k, 1);
  }
}
