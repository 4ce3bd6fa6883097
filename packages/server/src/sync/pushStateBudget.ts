import { docBytes } from '../storage/docBytes.js';
import type { StoredDoc } from '../storage/StorageEngine.js';
import { DomainError } from './DomainError.js';

/**
 * Refuses a push whose stored documents hold more than `budget` bytes (states + views, UTF-8),
 * before any of them is parsed or merged.
 *
 * Why: each document's size is bounded (`maxDocBytes`), but one push of small changes may touch
 * thousands of documents, and merging turns every stored state into a live document, a new
 * state and a new view — several times its size in memory, and one transaction holding all of
 * it. A member of a tenant (careless or hostile) could so take the server's memory from every
 * other tenant. A push touching a single document always proceeds (its size is the per-document
 * limit's business); a larger push is refused whole with 413 `push_too_large`, and the client
 * splits its batch until it fits, so nothing is lost.
 */
export function checkPushStateBudget(docs: ReadonlyMap<string, StoredDoc>, budget: number): void {
  if (docs.size < 2 || !Number.isFinite(budget)) return;
  let chars = 0;
  for (const d of docs.values()) chars += d.state.length + d.view.length;
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count bytes only when the characters leave it open.
  if (chars * 3 <= budget) return;
  // Past the budget in characters already (a character is at least one byte): no need to count.
  let bytes = chars;
  const exact = chars <= budget;
  if (exact) {
    bytes = 0;
    for (const d of docs.values()) bytes += docBytes(d.state, d.view);
    if (bytes <= budget) return;
  }
  throw new DomainError(
    'push_too_large',
    `this push touches ${docs.size} stored documents holding ${exact ? '' : 'at least '}${bytes} bytes; the limit per push is ${budget} bytes: send fewer changes per push`,
    'changes',
    'state-bytes',
  );
}
