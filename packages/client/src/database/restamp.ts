/**
 * Rewrites a change's stamp in JSON (a change, or a document state that includes the change).
 *
 * Where a change's stamp appears: the change's `id` and `stamp`; in a document, the register
 * stamps (`s`) the change set, log entries (`s`) it appended, and the tags of set elements it
 * added (`<stamp>/<n>`). Every other stamp (superseded values, other writers' tags) stays. A
 * string field value equal to a stamp would be rewritten too; stamps are 16+ characters of a
 * fixed shape with a replica id, so only a value copied from a stamp could be one.
 *
 * Why rewriting is exact: a change is a join of deltas all stamped with its one stamp, so the
 * state with the change's stamp replaced is the state the same change would have produced had it
 * been made with the new stamp — provided the new stamp orders after everything the document
 * holds, which a fresh stamp of the (bounded) local clock does.
 */
export function restamp(json: unknown, from: string, to: string): unknown {
  if (typeof json === 'string') {
    if (json === from) return to;
    if (json.length > from.length && json.startsWith(from) && json.charCodeAt(from.length) === 47)
      return to + json.slice(from.length);
    return json;
  }
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map((v) => restamp(v, from, to));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) out[k] = restamp(v, from, to);
  return out;
}

/**
 * Moves counter contributions of replica `from` to replica `to` in a document's JSON state (a
 * PN-counter keeps one running total per replica, keyed by replica id, under `p` and `n`).
 * Used when this device must write under a new replica id because another user claimed its old
 * one (`replica_taken`): none of the old replica's changes reached the server, so its totals are
 * entirely this device's and move as they are.
 */
export function renameCounterReplica(json: unknown, from: string, to: string): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map((v) => renameCounterReplica(v, from, to));
  const rec = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) out[k] = renameCounterReplica(v, from, to);
  if (rec['k'] === 'c') {
    for (const side of ['p', 'n'] as const) {
      const totals = out[side];
      if (totals === null || typeof totals !== 'object' || Array.isArray(totals)) continue;
      const t = { ...(totals as Record<string, unknown>) };
      if (from in t) {
        const moved = t[from];
        delete t[from];
        if (!(to in t)) t[to] = moved;
      }
      out[side] = t;
    }
  }
  return out;
}
