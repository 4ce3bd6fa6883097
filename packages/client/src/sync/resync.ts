import { receiving } from './protocolFailure.js';
import type { SyncHost } from './SyncHost.js';
import { SyncHttpError } from './syncErrors.js';
import type { SyncTransport } from './SyncTransport.js';

/**
 * Why the client resynchronises:
 * - `merge`: the server's store is another one (a new epoch: restored from a backup, reset) or
 *   lost history (its head is below our cursor). Everything is pulled again and merged, and the
 *   documents the server lacks or holds less of are pushed back whole (`POST /v1/merge`).
 * - `replace`: our cursor is older than the server's history horizon (410 `history_gone`).
 *   Everything is pulled again and replaces the local states (merging would revive documents and
 *   set elements the server deleted and compacted away); only the outbox is pushed afterwards.
 */
export type ResyncKind = 'merge' | 'replace';

export interface ResyncOutcome {
  /** The cursor of the full pull (persist it once the resync is complete). */
  cursor: number;
  /** Documents in the full pull. */
  pulled: number;
  /** Documents pushed back whole (merge only). */
  pushedBack: number;
  /** Pushed-back documents the server refused, with its reason. */
  refused: Array<{ id: string; reason: string }>;
}

/** Most documents per `POST /v1/merge` (the server takes up to 1,000) and bytes per request. */
const MERGE_DOCS = 500;
const MERGE_BYTES = 2_000_000;

/**
 * Pulls everything from cursor 0 and reconciles it with the local database (see `ResyncKind`).
 * Cost: one full pull, plus — for `merge` — two encodings per document present on both sides, and
 * requests only for the documents whose states differ: after a restore that lost a few writes,
 * only those few go back.
 */
export async function resync(
  kind: ResyncKind,
  host: SyncHost,
  t: SyncTransport,
  pullLimit: number | undefined,
  signal: AbortSignal,
): Promise<ResyncOutcome> {
  const seen = new Set<string>();
  const ahead = new Set<string>();
  let cursor = 0;
  for (let pages = 0; pages < 1_000_000; pages++) {
    const d = await t.pull(cursor, pullLimit, signal);
    const what = 'GET /v1/pull';
    if (d.types.length > 0 && host.applyTypes)
      await receiving('types', what, () => host.applyTypes!(d.types));
    await receiving('docs', what, async () => {
      if (kind === 'merge' && host.resyncMerge) await host.resyncMerge(d.docs, seen, ahead);
      else if (kind === 'replace' && host.resyncReplace) {
        const ids = d.docs.map((doc) => String((doc as { id?: unknown }).id));
        for (const id of ids) seen.add(id);
        await host.resyncReplace(ids, d.docs);
      } else await host.applyRemote(d.docs);
    });
    cursor = Math.max(cursor, d.cursor);
    if (!d.more) break;
  }
  const outcome: ResyncOutcome = { cursor, pulled: seen.size, pushedBack: 0, refused: [] };
  const unseen = (host.docIds?.() ?? []).filter((id) => !seen.has(id));
  if (kind === 'replace') {
    if (unseen.length > 0) await host.resyncReplace?.(unseen, []);
    return outcome;
  }
  const back = [...ahead, ...unseen];
  if (back.length === 0 || !host.exportDocs) return outcome;
  // The restored store may lack type versions defined after its backup: define them again first
  // (a version it has is a no-op; one this user may not define is refused and its documents too).
  for (const def of host.typeChains?.() ?? []) {
    try {
      await t.putType(def, signal);
    } catch (e) {
      if (!(e instanceof SyncHttpError) || e.transient || e.status === 401) throw e;
    }
  }
  await pushBack(back, host, t, signal, outcome);
  return outcome;
}

/** `POST /v1/merge` in batches bounded by count and size; a 413 halves the batch. */
async function pushBack(
  ids: readonly string[],
  host: SyncHost,
  t: SyncTransport,
  signal: AbortSignal,
  outcome: ResyncOutcome,
): Promise<void> {
  let max = MERGE_DOCS;
  let i = 0;
  while (i < ids.length) {
    const docs: unknown[] = [];
    let bytes = 0;
    let next = i;
    for (; next < ids.length && docs.length < max; next++) {
      const [doc] = host.exportDocs?.([ids[next] as string]) ?? [];
      if (doc === undefined) continue; // gone locally meanwhile
      const size = JSON.stringify(doc).length;
      if (docs.length > 0 && bytes + size > MERGE_BYTES) break;
      docs.push(doc);
      bytes += size;
    }
    if (docs.length > 0) {
      try {
        const res = await t.merge(docs, signal);
        for (const r of res.results) {
          if (r.status !== 'rejected') outcome.pushedBack++;
          else
            outcome.refused.push({
              id: r.id,
              reason: r.error ? `${r.error.code}: ${r.error.message}` : 'rejected',
            });
        }
      } catch (e) {
        if (e instanceof SyncHttpError && e.status === 413 && docs.length > 1) {
          max = Math.max(1, Math.floor(docs.length / 2));
          continue;
        }
        throw e;
      }
    }
    i = next;
  }
}
