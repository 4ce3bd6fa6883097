/**
 * Who is signed in, and how a token reaches the app. The token is kept in localStorage (one per
 * origin) so the app opens offline without asking anyone; the local database is named after the
 * tenant and user, so two accounts on one device never share data (docs: createDatabase `name`).
 *
 * Three ways in, tried in this order (APP-12.md):
 * 1. `#token=<jwt>` in the URL fragment — a host opens the app with it; the fragment is removed
 *    from the address bar at once (it never reaches a server log or the history);
 * 2. `GET /app-token` on the same origin (the host's own, cookie-authenticated endpoint);
 * 3. the demo sign-in (`/v1/demo/users`, `/v1/demo/sign-in`), which the server offers only in
 *    demo mode.
 */

export type Role = 'technician' | 'dispatcher' | 'admin';

export interface SessionUser {
  id: string;
  name: string;
  role: Role;
}

export interface Session {
  token: string;
  tenant: string;
  user: SessionUser;
}

export interface DemoUser {
  id: string;
  name: string;
  role: Role;
}

const KEY = 'fieldsync.session';

/** A sign-in that failed, with a message fit for the screen. */
export class SignInError extends Error {
  override name = 'SignInError';
}

export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Session;
    return typeof s.token === 'string' && s.user && typeof s.tenant === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

/** IndexedDB name of a session's local database: per tenant and user. */
export function databaseName(s: Session): string {
  return `fieldsync:${s.tenant}:${s.user.id}`;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/**
 * Reads the claims the app needs (`sub`, `tenant`, `role`, `name`) from a JWT. The signature is
 * the server's business; the app only needs to know whose database to open.
 */
export function sessionFromToken(token: string): Session {
  const payload = token.split('.')[1];
  if (!payload) throw new SignInError('The token is not a JWT (no payload).');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(base64UrlDecode(payload)) as Record<string, unknown>;
  } catch {
    throw new SignInError('The token payload is not readable JSON.');
  }
  const sub = claims.sub;
  const tenant = claims.tenant;
  if (typeof sub !== 'string' || sub === '') throw new SignInError('The token has no "sub" claim.');
  if (typeof tenant !== 'string' || tenant === '') throw new SignInError('The token has no "tenant" claim.');
  const role = claims.role === 'admin' || claims.role === 'dispatcher' ? claims.role : 'technician';
  const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name : sub;
  return { token, tenant, user: { id: sub, name, role } };
}

/** Takes `#token=…` out of the address bar (without a navigation) and returns it. */
export function takeFragmentToken(): string | undefined {
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : '';
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (!token) return undefined;
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  return token;
}

/** The host's token endpoint; undefined when there is none (404, offline, not JSON). */
export async function fetchAppToken(): Promise<string | undefined> {
  try {
    const res = await fetch('/app-token', {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return undefined;
    const body = (await res.json()) as { token?: unknown };
    return typeof body.token === 'string' && body.token !== '' ? body.token : undefined;
  } catch {
    return undefined;
  }
}

/** Demo users, or undefined when the server is not in demo mode (404) or unreachable. */
export async function fetchDemoUsers(): Promise<DemoUser[] | undefined> {
  try {
    const res = await fetch('/v1/demo/users', { headers: { accept: 'application/json' } });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { users?: DemoUser[] };
    return Array.isArray(body.users) ? body.users : undefined;
  } catch {
    return undefined;
  }
}

export async function demoSignIn(user: string): Promise<Session> {
  let res: Response;
  try {
    res = await fetch('/v1/demo/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user }),
    });
  } catch {
    throw new SignInError('The server cannot be reached. Signing in needs a connection once.');
  }
  const body = (await res.json().catch(() => ({}))) as {
    token?: string;
    error?: { message?: string };
  };
  if (!res.ok || !body.token) throw new SignInError(body.error?.message ?? `Sign-in failed (${res.status}).`);
  return sessionFromToken(body.token);
}
