import { canonicalJson } from '../util/json.js';
import type { DocState } from './docState.js';
import { docToJSON } from './docJson.js';

const encoder = new TextEncoder();

/**
 * Canonical bytes of a document: UTF-8 of the canonical JSON (sorted keys) of `docToJSON`.
 * Equal states give equal bytes on every replica, which is what the convergence tests compare
 * and what a server can hash.
 */
export function encodeDoc(doc: DocState): Uint8Array {
  return encoder.encode(canonicalJson(docToJSON(doc)));
}
