import { SignJWT, errors, jwtVerify } from 'jose';
import { TokenError } from './TokenError.js';
import type { TokenVerifier, User } from './User.js';

/** Used by `fieldsync serve` only when FIELDSYNC_JWT_SECRET is unset — never in production. */
export const DEV_SECRET = 'fieldsync-dev-secret-do-not-use-in-production';

/**
 * Shortest accepted HS256 secret, in bytes. HMAC-SHA256 keys shorter than the hash output
 * (32 bytes) weaken it, and short secrets are the ones people type by hand and guess offline
 * from any captured token.
 */
export const MIN_SECRET_BYTES = 32;

/** Throws when `secret` is too short to sign or verify tokens with (see MIN_SECRET_BYTES). */
export function assertStrongSecret(secret: string, name = 'the HMAC secret'): void {
  const bytes = new TextEncoder().encode(secret).length;
  if (bytes < MIN_SECRET_BYTES)
    throw new Error(
      `${name} is ${bytes} bytes; it must be at least ${MIN_SECRET_BYTES} bytes (generate one: openssl rand -base64 48)`,
    );
}

const key = (secret: string): Uint8Array => {
  assertStrongSecret(secret);
  return new TextEncoder().encode(secret);
};

/**
 * Default verifier: HMAC-SHA256 JWT (`sub` = user id, `tenant` and `exp` claims required).
 * HS256 because one shared secret is the simplest thing that is still safe for a single
 * deployment; swap in an asymmetric verifier through `TokenVerifier` when identity lives elsewhere.
 * `exp` is mandatory because a token without it can never be revoked short of rotating the secret.
 */
export function hmacVerifier(secret: string): TokenVerifier {
  const k = key(secret);
  // A device sends the same token with every request; verifying its signature once (until it
  // expires) keeps HMAC and key import off the hot path. Bounded: cleared past 10,000 tokens.
  const verified = new Map<string, { user: User; exp: number }>();
  return async (token: string): Promise<User> => {
    const hit = verified.get(token);
    if (hit && hit.exp > Date.now()) return hit.user;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, k, { algorithms: ['HS256'], requiredClaims: ['exp'] }));
    } catch (e) {
      if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'exp' && e.reason === 'missing')
        throw new TokenError(
          'token_without_exp',
          'token has no "exp" (expiry) claim; tokens must expire (fieldsync token --expires 30d)',
        );
      throw e;
    }
    const tenant = payload['tenant'];
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new Error('token has no "sub" (user id)');
    if (typeof tenant !== 'string' || tenant === '') throw new Error('token has no "tenant" claim');
    const user: User = { id: payload.sub, tenant, claims: payload };
    if (verified.size >= 10_000) verified.clear();
    // requiredClaims + jose's own check guarantee a numeric exp here.
    verified.set(token, { user, exp: (payload.exp ?? 0) * 1000 });
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
