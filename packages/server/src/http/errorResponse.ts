import { ProtocolError, type ErrorBody } from '@fieldsync/core';
import type { Context } from 'hono';
import { DomainError, type DomainErrorCode } from '../sync/DomainError.js';
import { HttpError } from './HttpError.js';

/**
 * The HTTP status of every domain error code: the one place domain refusals become statuses.
 * A `Record` over the code union, so a code without a status does not compile.
 */
const STATUS: Record<DomainErrorCode, HttpError['status']> = {
  bad_filter: 400,
  bad_request: 400,
  forbidden: 403,
  unknown_user: 404,
  type_version: 409,
  invalid_type: 422,
  invalid_migration: 422,
  reserved_type: 422,
  push_too_large: 413,
};

/**
 * The `HttpError` an error stands for, or undefined for an unexpected one (a 500). Domain errors
 * keep their code, path and rule; a request body of the wrong shape (core's `ProtocolError`,
 * thrown by the request validators of the wire contract) is 400 `bad_request` naming the path.
 */
export function httpErrorOf(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DomainError) {
    const details = err.rule === undefined ? undefined : { rule: err.rule };
    return new HttpError(STATUS[err.code], err.code, err.message, err.path, details);
  }
  if (err instanceof ProtocolError)
    return new HttpError(400, 'bad_request', err.reason, err.path || undefined, { rule: err.rule });
  return undefined;
}

/** Answers an error thrown by a route: its mapped status and JSON body, else a logged 500. */
export function errorResponse(err: unknown, c: Context, internalMessage: string): Response {
  const http = httpErrorOf(err);
  if (http) return c.json(http.toJSON(), http.status);
  console.error('[fieldsync] unexpected error', err);
  const body: ErrorBody = { error: { code: 'internal', message: internalMessage } };
  return c.json(body, 500);
}
