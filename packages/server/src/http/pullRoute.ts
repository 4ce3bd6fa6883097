import type { Hono } from 'hono';
import { deltaJSON, renderDelta, TYPES_COLLECTION } from '../sync/renderDelta.js';
import { Visibility, parseFilter } from '../sync/SyncFilter.js';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { checkHistory } from './storeHeaders.js';

/** Parses a cursor (`since`, `Last-Event-ID`): a non-negative safe integer. */
export function parseCursor(raw: string | undefined, name: string): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new HttpError(400, 'bad_cursor', `"${name}" must be a non-negative integer cursor`, name);
  return n;
}

/**
 * `GET /v1/pull?since=C&limit=N&types=a,b&where={json}` → `{ cursor, types, docs, gone, more }`.
 * Documents changed after `C` (their latest CRDT state), in sequence order, one page at a time.
 */
export function pullRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/v1/pull', async (c) => {
    const user = c.get('user');
    const since = parseCursor(c.req.query('since'), 'since');
    const limitRaw = c.req.query('limit');
    let limit = ctx.limits.pullLimit;
    if (limitRaw !== undefined) {
      limit = Number(limitRaw);
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new HttpError(400, 'bad_limit', '"limit" must be a positive integer', 'limit');
      limit = Math.min(limit, ctx.limits.maxPullLimit);
    }
    const filter = parseFilter(c.req.query('types'), c.req.query('where'));
    const vis = new Visibility(user, filter, ctx.permissions);
    const types = filter.types ? [...filter.types, TYPES_COLLECTION] : undefined;
    const q = { since, limit, maxBytes: ctx.limits.maxPageBytes };
    const page = await ctx.storage.pull(user.tenant, types ? { ...q, types } : q);
    // Checked after the read: compaction raises `compacted` before it removes anything, so a read
    // that may have missed a removed row always sees the raised value here.
    await checkHistory(ctx, user.tenant, since);
    const delta = renderDelta(page.docs, vis, since > 0);
    return c.body(deltaJSON(delta, page.cursor, page.more), 200, { 'content-type': 'application/json' });
  });
}
