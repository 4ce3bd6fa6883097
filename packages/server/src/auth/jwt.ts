import { SignJWT, jwtVerify } from 'jose';
import type { TokenVerifier, User } from './User.js';

/** Used by `fieldsync serve` only when FIELDSYNC_JWT_SECRET is unset — never in production. */
export const DEV_SECRET = 'fieldsync-dev-secret-do-not-use-in-production';

const key = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/**
 * Default verifier: HMAC-SHA256 JWT (`sub` = user id, `tenant` claim required).
 * HS256 because one shared secret is the simplest thing that is still safe for a single
 * deployment; swap in an asymmetric verifier through `TokenVerifier` when identity lives elsewhere.
 */
export function hmacVerifier(secret: string): TokenVerifier {
  const k = key(secret);
  return async (token: string): Promise<User> => {
    const { payload } = await jwtVerify(token, k, { algorithms: ['HS256'] });
    const tenant = payload['tenant'];
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('token has no "sub" (user id)');
    if (typeof tenant !== 'string' || tenant === '') throw new Error('token has no "tenant" claim');
    return { id: payload.sub, tenant, claims: payload };
  };
}

export interface TokenClaims {
  user: string;
  tenant: string;
  /** Extra claims (e.g. `teams`, `role`) for permission rules. */
  claims?: Record<string, unknown>;
  /** jose duration, e.g. `'30d'`. Default 30 days. */
  expiresIn?: string;
}

/** Signs a token the default verifier accepts (CLI `fieldsync token`, tests, benchmarks). */
export async function signToken(secret: string, t: TokenClaims): Promise<string> {
  return new SignJWT({ ...t.claims, tenant: t.tenant })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(t.user)
    .setIssuedAt()
    .setExpirationTime(t.expiresIn ?? '30d')
    .sign(key(secret));
}
