import { DEV_SECRET, assertStrongSecret } from '../auth/jwt.js';

/**
 * The token secret from FIELDSYNC_JWT_SECRET, refused when shorter than 32 bytes (set but
 * empty counts as set: falling back to the public secret silently would be worse). Unset: the
 * public development secret, which `startServer` accepts on loopback addresses only.
 */
export function jwtSecretFromEnv(): { secret: string; isDev: boolean } {
  const s = process.env['FIELDSYNC_JWT_SECRET'];
  if (s === undefined) return { secret: DEV_SECRET, isDev: true };
  assertStrongSecret(s, 'FIELDSYNC_JWT_SECRET');
  return { secret: s, isDev: false };
}

export const devSecretWarning = (command: string): string =>
  `\n  !!! WARNING: FIELDSYNC_JWT_SECRET is not set; ${command} uses the PUBLIC development secret.\n` +
  `  !!! Anyone can mint tokens with it. Set FIELDSYNC_JWT_SECRET (openssl rand -base64 48) before real use.\n`;
