import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { readJson } from './readJson.js';

/**
 * `PUT /v1/types/:name` with a core `TypeDef` → `{ cursor, changed }`. Stores the definition in
 * the tenant's `_types` system collection; it then reaches clients through pull and SSE.
 */
export function typesRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.put('/v1/types/:name', async (c) => {
    const user = c.get('user');
    if (ctx.permissions?.defineTypes && !ctx.permissions.defineTypes(user)) {
      throw new HttpError(403, 'forbidden', 'you may not define types');
    }
    const def = await readJson(c);
    const name = c.req.param('name');
    if (typeof def !== 'object' || def === null || (def as { name?: unknown }).name !== name) {
      throw new HttpError(400, 'bad_request', `body must be a type definition whose "name" is "${name}"`, 'name');
    }
    return c.json(await ctx.types.define(user.tenant, def));
  });
}
