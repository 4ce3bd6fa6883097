import { ProtocolError } from './ProtocolError.js';
import { parseErrorInfo, type ErrorInfo } from './errorBody.js';
import { at, wireArray, wireCursor, wireObject, wireOneOf, wireString } from './wireCheck.js';

/**
 * `POST /v1/push` body. Each change is core's `Change`; the server checks each one's envelope
 * itself and rejects a malformed one alone (`bad_change`), so the request check is only that
 * `changes` is an array.
 */
export interface PushRequest {
  changes: unknown[];
}

/** Outcome of one pushed change. `ok`: merged and durable; `duplicate`: stored earlier (a retry). */
export interface ChangeResult {
  id: string;
  status: 'ok' | 'duplicate' | 'rejected';
  /** Present when `rejected`: why (the change must be set aside, or re-issued for a stamp code). */
  error?: ErrorInfo;
}

/** `POST /v1/push` answer (200 or 422): one result per change, in request order. */
export interface PushResponse {
  results: ChangeResult[];
  cursor: number;
}

const CHANGE_STATUSES = ['ok', 'duplicate', 'rejected'] as const;

/** Checks a push request body (server side). */
export function parsePushRequest(v: unknown): PushRequest {
  if (typeof v !== 'object' || v === null || !Array.isArray((v as { changes?: unknown }).changes))
    throw new ProtocolError('changes', 'array', 'body must be { "changes": [ ... ] }');
  return v as PushRequest;
}

/**
 * Checks a push answer. With `sent` (the ids of the changes pushed, in order) it also checks
 * that there is exactly one result per change and that each names its change: a client
 * acknowledges by position, so an answer for other changes must never drop these.
 */
export function parsePushResponse(v: unknown, sent?: readonly string[]): PushResponse {
  const body = wireObject(v, '');
  const results = wireArray(body['results'], 'results');
  wireCursor(body['cursor'], 'cursor');
  if (sent && results.length !== sent.length)
    throw new ProtocolError('results', 'count', `${results.length} results for ${sent.length} changes`);
  for (let i = 0; i < results.length; i++) {
    const p = at('results', i);
    const o = wireObject(results[i], p);
    const id = wireString(o['id'], at(p, 'id'));
    if (sent && id !== sent[i])
      throw new ProtocolError(
        at(p, 'id'),
        'order',
        `result for ${JSON.stringify(id)} where change ${JSON.stringify(sent[i])} was sent`,
      );
    const status = wireOneOf(o['status'], at(p, 'status'), CHANGE_STATUSES);
    if (status === 'rejected' || o['error'] !== undefined) parseErrorInfo(o['error'], at(p, 'error'));
  }
  return body as unknown as PushResponse;
}
