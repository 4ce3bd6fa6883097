/** A request the server answered with an error status (body `{ error: { code, message } }`). */
export class SyncHttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.name = 'SyncHttpError';
    this.status = status;
    this.code = code;
  }
  /** Worth retrying later (server busy, rate limited, restarting) rather than a client bug. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** The network failed before any HTTP answer (offline, DNS, connection refused/reset). */
export class SyncNetworkError extends Error {
  constructor(cause: unknown) {
    super(`network: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'SyncNetworkError';
  }
}
