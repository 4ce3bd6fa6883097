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

/** Checks a docs answer; throws `ProtocolError` naming the first broken place. */
export function parseDocsResponse(v: unknown): DocsResponse {
  const body = wireObject(v, '');
  const docs = wireArray(body['docs'], 'docs');
  for (let i = 0; i < docs.length; i++) checkWireDoc(docs[i], at('docs', i));
  const missing = wireArray(body['missing'], 'missing');
  for (let i = 0; i < missing.length; i++) wireString(missing[i], at('missing', i), true);
  return body as unknown as DocsResponse;
}
