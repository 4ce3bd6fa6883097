import {
  docFromJSON,
  docToJSON,
  type Change,
  type DocState,
  type TypeRegistry as CoreTypeRegistry,
} from '@fieldsync/core';

/** What {@link fitDocSize} kept and dropped of one document's changes in a push. */
export interface FittedDoc {
  /** The document with the kept changes; undefined when a new document kept none. */
  doc: DocState | undefined;
  /** `docToJSON(doc)` as stored. */
  state: string;
  /** Changes that would have grown the document past the limit, with the size they would make. */
  dropped: Array<{ change: Change; bytes: number }>;
}

/**
 * Holds a document's stored state (`docToJSON`, UTF-8 bytes) to `maxBytes`, per change.
 *
 * Why per document: every push of a document loads, merges and rewrites its whole state, and
 * every pull page and stream event carries it whole; a document allowed to grow without bound
 * (a text field pasted into for months, 560 KB attachments inlined) ends up costing every
 * reader of the tenant. Why per change: the push is answered change by change, so only the
 * changes that would cross the limit are refused (`doc_too_large`), and the others are kept.
 *
 * Common case — the merged state fits — costs one byte count. Otherwise the document is rebuilt
 * from its stored state, applying this push's accepted changes in order and skipping each one
 * that would take it past the limit. A change that does not grow an over-limit document (a
 * deletion, a shrink) is kept, so a document stored before the limit was lowered stays editable.
 */
export function fitDocSize(
  merged: DocState,
  before: string | undefined,
  applied: readonly Change[],
  registry: CoreTypeRegistry,
  maxBytes: number,
): FittedDoc {
  const state = JSON.stringify(docToJSON(merged));
  if (Buffer.byteLength(state) <= maxBytes) return { doc: merged, state, dropped: [] };
  let good = before;
  let goodDoc = before === undefined ? undefined : docFromJSON(JSON.parse(before));
  let goodBytes = before === undefined ? 0 : Buffer.byteLength(before);
  const dropped: FittedDoc['dropped'] = [];
  for (const c of applied) {
    const next = registry.applyChange(goodDoc, c); // pure: `goodDoc` stays the last good state
    const json = JSON.stringify(docToJSON(next));
    const bytes = Buffer.byteLength(json);
    if (bytes > maxBytes && bytes > goodBytes) {
      dropped.push({ change: c, bytes });
      continue;
    }
    good = json;
    goodDoc = next;
    goodBytes = bytes;
  }
  return { doc: goodDoc, state: good ?? '', dropped };
}
