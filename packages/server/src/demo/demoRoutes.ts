import { Hono } from 'hono';
import { signToken } from '../auth/jwt.js';
import { errorResponse } from '../http/errorResponse.js';
import { readJson } from '../http/readJson.js';
import { DomainError } from '../sync/DomainError.js';
import { DEMO_TENANT, DEMO_USERS } from './demoData.js';

/** How long a demo token lives: a working day; the app signs in again after that. */
const DEMO_TOKEN_LIFETIME = '12h';

/**
 * `GET /v1/demo/users` and `POST /v1/demo/sign-in` `{ "user": "anna" }` →
 * `{ token, user, tenant }`. Mounted only in demo mode (see `demoRefusal`); outside it both
 * paths answer 404. No bearer token is needed: this is how the demo app obtains one.
 */
export function demoRoutes(secret: string): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(err, c, 'internal server error'));
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.get('/v1/demo/users', (c) => c.json({ users: DEMO_USERS }));
  app.post('/v1/demo/sign-in', async (c) => {
    const body = await readJson(c);
    const id =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as { user?: unknown }).user
        : undefined;
    if (typeof id !== 'string')
      throw new DomainError('bad_request', 'body must be { "user": "<demo user id>" }', 'user', 'string');
    const user = DEMO_USERS.find((u) => u.id === id);
    if (!user) {
      throw new DomainError(
        'unknown_user',
        `no demo user "${id}"; one of ${DEMO_USERS.map((u) => u.id).join(', ')}`,
        'user',
        'known-user',
      );
    }
    const token = await signToken(secret, {
      user: user.id,
      tenant: DEMO_TENANT,
      claims: { role: user.role, name: user.name },
      expiresIn: DEMO_TOKEN_LIFETIME,
    });
    return c.json({ token, user, tenant: DEMO_TENANT });
  });
  return app;
}
