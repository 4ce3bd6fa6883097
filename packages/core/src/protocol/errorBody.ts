import { at, wireCursor, wireNumber, wireObject, wireString } from './wireCheck.js';

/**
 * What went wrong, as the server says it: in an error response body and in a rejected push or
 * merge result. `code` is stable (docs/protocol.md, "Errors"), `message` is for people, `path`
 * points into the request, `rule` names the rule broken; some codes carry more facts (`limit` of
 * `doc_too_large`, `horizon` of `history_gone`). Fields may be added within /v1.
 */
export interface ErrorInfo {
  code: string;
  message: string;
  path?: string;
  rule?: string;
  limit?: number;
  horizon?: number;
}

/** Body of every error response: `{ "error": { "code", "message", "path"? } }`. */
export interface ErrorBody {
  error: ErrorInfo;
}

/** Checks an `ErrorInfo` at `path` (the value itself is returned: no copy). */
export function parseErrorInfo(v: unknown, path: string): ErrorInfo {
  const e = wireObject(v, path);
  wireString(e['code'], at(path, 'code'), true);
  wireString(e['message'], at(path, 'message'));
  if (e['path'] !== undefined) wireString(e['path'], at(path, 'path'));
  if (e['rule'] !== undefined) wireString(e['rule'], at(path, 'rule'));
  if (e['limit'] !== undefined) wireNumber(e['limit'], at(path, 'limit'));
  if (e['horizon'] !== undefined) wireCursor(e['horizon'], at(path, 'horizon'));
  return e as unknown as ErrorInfo;
}

/** Checks an error response body; throws `ProtocolError` naming the path and rule. */
export function parseErrorBody(v: unknown): ErrorBody {
  const body = wireObject(v, '');
  parseErrorInfo(body['error'], 'error');
  return body as unknown as ErrorBody;
}
