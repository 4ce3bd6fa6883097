import { ProtocolError } from './ProtocolError.js';
import type { ErrorInfo } from './errorBody.js';
import { parseResultsAnswer } from './resultsAnswer.js';

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
  return parseResultsAnswer(
    v,
    CHANGE_STATUSES,
    { plural: 'changes', prefix: 'change ' },
    sent,
  ) as unknown as PushResponse;
}
