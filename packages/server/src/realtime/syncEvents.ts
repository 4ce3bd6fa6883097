import type { StoredDoc } from '../storage/StorageEngine.js';
import { deltaJSON, renderDelta } from '../sync/renderDelta.js';
import type { Visibility } from '../sync/SyncFilter.js';
import { sseEvent } from './sseFormat.js';

/**
 * The `sync` events of what `vis` sees of `rows` (in sequence order) after sequence `after`, the
 * last one with id `to`. Split so that no event carries more than `maxBytes` of document rows
 * (a single larger row goes alone): one event holding a whole batch of large documents could
 * exceed what a JavaScript string can hold, and would fail the fan-out for every stream.
 */
export function syncEvents(
  rows: StoredDoc[],
  vis: Visibility,
  after: number,
  to: number,
  maxBytes: number,
): string[] {
  const out: string[] = [];
  for (const part of splitByBytes(rows, after, to, maxBytes)) {
    const delta = renderDelta(part.rows, vis, true, after);
    if (delta.docs.length + delta.gone.length + delta.types.length > 0)
      out.push(sseEvent('sync', part.to, deltaJSON(delta, part.to)));
  }
  return out;
}

/** Rows split into runs of at most `maxBytes` (state + view); each run's `to` is its last sequence. */
function splitByBytes(
  rows: StoredDoc[],
  after: number,
  to: number,
  maxBytes: number,
): Array<{ rows: StoredDoc[]; to: number }> {
  let chars = 0;
  for (const r of rows) chars += r.state.length + r.view.length;
  // A UTF-16 unit is at most 3 UTF-8 bytes: the common small batch needs no byte count.
  if (chars * 3 <= maxBytes) return [{ rows, to }];
  const parts: Array<{ rows: StoredDoc[]; to: number }> = [];
  let cur: StoredDoc[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (r.seq <= after) continue;
    const n = Buffer.byteLength(r.state) + Buffer.byteLength(r.view);
    if (cur.length > 0 && bytes + n > maxBytes) {
      parts.push({ rows: cur, to: (cur[cur.length - 1] as StoredDoc).seq });
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += n;
  }
  parts.push({ rows: cur, to });
  return parts;
}
