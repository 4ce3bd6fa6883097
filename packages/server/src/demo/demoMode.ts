import type { Permissions } from '../auth/rules.js';
import { DEV_SECRET } from '../auth/jwt.js';

/**
 * Whether a server may run in demo mode, and why not. The demo sign-in hands a token for any demo
 * user to whoever asks, so it must never exist where tokens mean something. The rule: the server
 * signs with the PUBLIC development secret (anyone who has read the source can already mint any
 * token for it, so demo sign-in gives nothing away) AND listens on a loopback address (nobody
 * else can reach it). A deployment with its own `FIELDSYNC_JWT_SECRET`, its own verifier, or a
 * public address is refused.
 */
export function demoRefusal(o: { secret?: string; verifier?: unknown; host?: string }): string | undefined {
  if (o.verifier !== undefined)
    return 'demo mode signs its own tokens and cannot be combined with a custom token verifier';
  if (o.secret !== DEV_SECRET)
    return 'demo mode runs only with the public development secret (unset FIELDSYNC_JWT_SECRET): demo sign-in must never mint tokens a real deployment accepts';
  if (!isLoopback(o.host ?? '127.0.0.1'))
    return `demo mode listens only on a loopback address (127.0.0.1, ::1, localhost), not "${o.host}"`;
  return undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The demo tenant's rules: only its admin defines and evolves types. */
export const DEMO_PERMISSIONS: Permissions = {
  defineTypes: (user) => user.claims['role'] === 'admin',
};
