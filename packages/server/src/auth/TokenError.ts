/**
 * A token refused for a reason a client can act on, with a stable `code` that the HTTP layer
 * returns as the 401's error code (other verifier errors become `bad_token`).
 */
export class TokenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TokenError';
    this.code = code;
  }
}
