import type { ErrorBody } from '@fieldsync/core';

/**
 * An error that becomes a 4xx/5xx response with a JSON body `{ error: { code, message, path? } }`.
 * `code` is stable for programs, `message` names the problem for people, `path` points into
 * the request (e.g. `changes[3].stamp`).
 */
export class HttpError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;
  readonly code: string;
  readonly path: string | undefined;
  /** More machine-readable facts for this code (e.g. `horizon` of `history_gone`). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(
    status: HttpError['status'],
    code: string,
    message: string,
    path?: string,
    details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.path = path;
    this.details = details;
  }

  /** The body of the wire contract (`ErrorBody`); `details` add fields (`horizon`, `rule`). */
  toJSON(): ErrorBody {
    return {
      error: {
        ...this.details,
        code: this.code,
        message: this.message,
        ...(this.path !== undefined ? { path: this.path } : {}),
      },
    };
  }
}
