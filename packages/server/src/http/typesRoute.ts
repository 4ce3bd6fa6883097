import type { DefineTypeResponse } from '@fieldsync/core';
import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { readJson } from './readJson.js';

/**
 * `PUT /v1/types/:name` with a core `TypeDef` (any version, with its migration steps) →
 * `{ cursor, changed }`. Stores the definition in the tenant's `_types` system collection; it then
 * reaches clients through pull and SSE, ahead of every document written at it. Errors: 403
 * `forbidden` (no define-types right), 422 `invalid_type` / `invalid_migration` (with the path of
 * the failing field or step), 409 `type_version` (out of order, or an old version redefined).
 */
export function typesRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.put('/v1/types/:name', async (c) => {
    const user = c.get('user');
    // Checked inside `define`, after the no-op test: re-sending a definition the tenant already
    // has changes nothing, so a client without the right can still confirm what it holds.
    const mayDefine = !ctx.permissions?.defineTypes || ctx.permissions.defineTypes(user);
    const def = await readJson(c);
    const name = c.req.param('name');
    if (typeof def !== 'object' || def === null || (def as { name?: unknown }).name !== name) {
      throw new HttpError(
        400,
        'bad_request',
        `body must be a type definition whose "name" is "${name}"`,
        'name',
      );
    }
    const answer: DefineTypeResponse = await ctx.types.define(user.tenant, def, mayDefine);
    return c.json(answer);
  });
}
