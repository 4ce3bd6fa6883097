/**
 * The authenticated caller. `tenant` is mandatory: every stored row is keyed by tenant, so
 * tenant isolation is structural (a query cannot forget it), not a rule someone must remember.
 */
export interface User {
  id: string;
  tenant: string;
  /** Every claim of the token, for rules such as "assigned team" or "role". */
  claims: Readonly<Record<string, unknown>>;
}

/**
 * Turns a bearer token into a user, or throws. Pluggable so deployments can use their own
 * identity provider (JWKS, sessions, API keys) without touching the server.
 */
export type TokenVerifier = (token: string) => Promise<User>;
