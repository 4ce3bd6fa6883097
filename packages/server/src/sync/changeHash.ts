import { createHash } from 'node:crypto';
import { canonicalJson, type Change } from '@fieldsync/core';

/**
 * A fingerprint of a change's content: SHA-256 of the canonical JSON of everything that makes it
 * what it is (`doc`, `type`, `v`, `stamp`, `ops`, `th`), 128 bits in base64url. Stored with the
 * change id, so a retry of the same change is recognised as `duplicate` while another change
 * claiming the same id (a forged or colliding stamp) is an `id_conflict` — never silently taken
 * as already stored, which would make its device drop it.
 */
export function changeHash(c: Change): string {
  const content = { doc: c.doc, type: c.type, v: c.v, stamp: c.stamp, ops: c.ops, th: c.th ?? null };
  return createHash('sha256').update(canonicalJson(content)).digest().subarray(0, 16).toString('base64url');
}
