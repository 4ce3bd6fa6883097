import type { MiddlewareHandler } from 'hono';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { idProblem } from './protocolBoundary.js';
import { TokenError } from '../auth/TokenError.js';

/**
 * Bearer-token authentication, then the per-token rate limit (429 with Retry-After).
 * A bad token is a 401 whose message says why (expired, bad signature, missing claim),
 * with the verifier's own code for a TokenError (e.g. `token_without_exp`).
 */
export function authMiddleware(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m?.[1]) throw new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <token>" header');
    const token = m[1];
    let user;
    try {
      user = await ctx.verifier(token);
    } catch (e) {
      const code = e instanceof TokenError ? e.code : 'bad_token';
      throw new HttpError(401, code, `invalid token: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Tenant and user ids key stored rows: one that an engine would refuse or rewrite (NUL, a
    // lone surrogate, an id longer than a NOTIFY payload) is refused here, for every engine alike.
    const bad = idProblem(user.tenant, 'tenant') ?? idProblem(user.id, 'sub');
    if (bad)
      throw new HttpError(401, 'bad_token', `invalid token: ${bad.message} (rule ${bad.rule})`, bad.path);
    c.set('user', user);
    const wait = ctx.rate.take(token);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      throw new HttpError(429, 'rate_limited', `too many requests for this token; retry in ${wait} s`);
    }
    await next();
  };
}
