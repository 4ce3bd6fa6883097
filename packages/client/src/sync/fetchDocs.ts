import { MAX_DOCS_IDS, type DocsResponse } from '@fieldsync/core';
import { SyncHttpError } from './syncErrors.js';
import type { SyncTransport } from './SyncTransport.js';

/**
 * The server's current state of these documents (`GET /v1/docs`, in batches of the most ids one
 * request may name), for the database to roll a document back (discarding a rejected change).
 * A server without the route (404) is scanned with a full pull instead: costly, but rare (a
 * user action). Rejects when the server cannot be reached.
 */
export async function fetchDocs(
  t: SyncTransport,
  ids: readonly string[],
  pullLimit: number | undefined,
  signal: AbortSignal,
): Promise<DocsResponse> {
  try {
    const out: DocsResponse = { docs: [], missing: [] };
    for (let i = 0; i < ids.length; i += MAX_DOCS_IDS) {
      const part = await t.docs(ids.slice(i, i + MAX_DOCS_IDS), signal);
      out.docs.push(...part.docs);
      out.missing.push(...part.missing);
    }
    return out;
  } catch (e) {
    if (!(e instanceof SyncHttpError && e.status === 404)) throw e;
  }
  const want = new Set(ids);
  const docs: unknown[] = [];
  for (let since = 0, pages = 0; pages < 1_000_000; pages++) {
    const d = await t.pull(since, pullLimit, signal);
    for (const doc of d.docs) if (want.has(String((doc as { id?: unknown }).id))) docs.push(doc);
    since = d.cursor;
    if (!d.more) break;
  }
  const found = new Set(docs.map((d) => String((d as { id?: unknown }).id)));
  return { docs, missing: ids.filter((id) => !found.has(id)) };
}
