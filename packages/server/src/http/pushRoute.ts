import type { Hono } from 'hono';
import { applyPush } from '../sync/applyPush.js';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { readJson } from './readJson.js';

/**
 * `POST /v1/push` `{ changes: Change[] }` → `{ results: ChangeResult[], cursor }`.
 * 200 when at least one change is stored (now or before); 422 when every change was rejected
 * (nothing was applied). Either way each change has its own result.
 */
export function pushRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.post('/v1/push', async (c) => {
    const body = await readJson(c);
    if (
      typeof body !== 'object' ||
      body === null ||
      !Array.isArray((body as { changes?: unknown }).changes)
    ) {
      throw new HttpError(400, 'bad_request', 'body must be { "changes": [ ... ] }', 'changes');
    }
    const changes = (body as { changes: unknown[] }).changes;
    if (changes.length > ctx.limits.maxBatch) {
      throw new HttpError(
        413,
        'batch_too_large',
        `${changes.length} changes in one push; the limit is ${ctx.limits.maxBatch}`,
        'changes',
      );
    }
    const { results, cursor } = await applyPush(ctx, c.get('user'), changes);
    const stored = results.some((r) => r.status !== 'rejected');
    return c.json({ results, cursor }, stored || changes.length === 0 ? 200 : 422);
  });
}
