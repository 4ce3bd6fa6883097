import { canonicalJson } from '../util/json.js';
import type { DocState } from './docState.js';
import { fieldCanonical } from './fields.js';
import { readRegister } from './registers.js';

const encoder = new TextEncoder();

/**
 * Canonical bytes of a document: UTF-8 of the canonical JSON (sorted keys) of its id, type,
 * version, tombstone and each field's canonical form. Equal states give equal bytes on every
 * replica — what the convergence tests compare and what a server can hash. It is a fingerprint,
 * not a storage format: store and send documents with `docToJSON`.
 */
export function encodeDoc(doc: DocState): Uint8Array {
  const fields: Record<string, unknown> = {};
  for (const key in doc.r) {
    const reg = readRegister(doc, key);
    if (reg !== undefined) fields[key] = reg;
  }
  for (const key in doc.fields) fields[key] = fieldCanonical(doc.fields[key]);
  return encoder.encode(
    canonicalJson({ id: doc.id, type: doc.type, v: doc.v, fields, deleted: doc.deleted }),
  );
}
