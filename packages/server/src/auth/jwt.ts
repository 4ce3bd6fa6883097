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
  // A device sends the same token with every request; verifying its signature once (until it
  // expires) keeps HMAC and key import off the hot path. Bounded: cleared past 10,000 tokens.
  const verified = new Map<string, { user: User; exp: number }>();
  return async (token: string): Promise<User> => {
    const hit = verified.get(token);
    if (hit && hit.exp > Date.now()) return hit.user;
    const { payload } = await jwtVerify(token, k, { algorithms: ['HS256'] });
    const tenant = payload['tenant'];
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new Error('token has no "sub" (user id)');
    if (typeof tenant !== 'string' || tenant === '') throw new Error('token has no "tenant" claim');
    const user: User = { id: payload.sub, tenant, claims: payload };
    if (verified.size >= 10_000) verified.clear();
    verified.set(token, { user, exp: payload.exp !== undefined ? payload.exp * 1000 : Date.now() + 60_000 });
    return user;
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
