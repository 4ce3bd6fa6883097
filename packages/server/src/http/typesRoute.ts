import { parseDefineTypeRequest, type DefineTypeResponse } from '@fieldsync/core';
import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from './context.js';
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
    // The wire contract's request check: another name is 400 bad_request (errorResponse).
    const def = parseDefineTypeRequest(await readJson(c), c.req.param('name'));
    const answer: DefineTypeResponse = await ctx.types.define(user.tenant, def, mayDefine);
    return c.json(answer);
  });
}
