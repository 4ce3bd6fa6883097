import { ProtocolError } from './ProtocolError.js';
import type { ErrorInfo } from './errorBody.js';
import { parseResultsAnswer } from './resultsAnswer.js';

/**
 * `POST /v1/merge` body: full document states (core `docToJSON`) a device pushes back when it
 * resynchronises with a store that lost history. The server checks each state itself and
 * rejects a malformed one alone (`invalid_doc`).
 */
export interface MergeRequest {
  docs: unknown[];
}

/** Outcome of one merged state: `ok` stored, `unchanged` already held, `rejected` with a reason. */
export interface MergeResult {
  id: string;
  status: 'ok' | 'unchanged' | 'rejected';
  error?: ErrorInfo;
}

/** `POST /v1/merge` answer (200 or 422): one result per state, in request order. */
export interface MergeResponse {
  results: MergeResult[];
  cursor: number;
}

const MERGE_STATUSES = ['ok', 'unchanged', 'rejected'] as const;

/** Checks a merge request body (server side). */
export function parseMergeRequest(v: unknown): MergeRequest {
  const docs = typeof v === 'object' && v !== null ? (v as { docs?: unknown }).docs : undefined;
  if (!Array.isArray(docs)) throw new ProtocolError('docs', 'array', 'body must be { "docs": [ ... ] }');
  return v as MergeRequest;
}

/** Checks a merge answer; with `sent` (the ids pushed back, in order), one result per state. */
export function parseMergeResponse(v: unknown, sent?: readonly string[]): MergeResponse {
  return parseResultsAnswer(
    v,
    MERGE_STATUSES,
    { plural: 'documents', prefix: '' },
    sent,
  ) as unknown as MergeResponse;
}
