import { FieldsyncError } from '@fieldsync/core';

/**
 * What the server's domain code (sync filters, the type registry, demo sign-in) can refuse, by
 * stable wire code. The HTTP status of each is decided in one place, `http/errorResponse.ts`,
 * so a new code that has no status there fails to compile.
 */
export type DomainErrorCode =
  | 'bad_filter'
  | 'invalid_type'
  | 'invalid_migration'
  | 'reserved_type'
  | 'forbidden'
  | 'type_version'
  | 'bad_request'
  | 'push_too_large'
  | 'unknown_user';

/**
 * A request asked for something the domain refuses: `code` (a `DomainErrorCode`, sent as the
 * error body's `code`), `path` into the request (`where.site.$in`, `migrations[0].from`) and
 * `rule` (what was broken: `operator`, `array`, `version-order` …).
 *
 * Why not `HttpError`: domain code (sync/, demo/) knows what is wrong, not how a transport
 * reports it; it runs under tests and the CLI without HTTP, and only `http/` maps codes to
 * statuses (docs/internals.md, "Errors").
 */
export class DomainError extends FieldsyncError {
  declare readonly code: DomainErrorCode;
  readonly path: string | undefined;
  readonly rule: string | undefined;
  constructor(code: DomainErrorCode, message: string, path?: string, rule?: string) {
    super(code, message);
    this.name = 'DomainError';
    this.path = path;
    this.rule = rule;
  }
}
