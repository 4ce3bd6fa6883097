import { checkWireDoc } from './delta.js';
import { at, wireArray, wireObject, wireString } from './wireCheck.js';

/**
 * `GET /v1/docs?ids=…` answer: the server's current states (core `docToJSON`) of the documents
 * asked for that it has and the caller may read, and the ids it does not have. A client uses it
 * to return a document to the server's state (discarding a rejected local change).
 */
export interface DocsResponse {
  docs: unknown[];
  missing: string[];
}

/**
 * Most ids one `GET /v1/docs` may ask for; the server answers more with 400 `too_many_ids`, and the
 * client asks in batches of this size. Why a bound: the ids travel in the URL (Node refuses request
 * heads over 16 KiB; 100 ids of the longest 128 characters fit), and one request must not make the
 * server read an unbounded number of documents.
 */
export const MAX_DOCS_IDS = 100;

/** Checks a docs answer; throws `ProtocolError` naming the first broken place. */
export function parseDocsResponse(v: unknown): DocsResponse {
  const body = wireObject(v, '');
  const docs = wireArray(body['docs'], 'docs');
  for (let i = 0; i < docs.length; i++) checkWireDoc(docs[i], at('docs', i));
  const missing = wireArray(body['missing'], 'missing');
  for (let i = 0; i < missing.length; i++) wireString(missing[i], at('missing', i), true);
  return body as unknown as DocsResponse;
}
