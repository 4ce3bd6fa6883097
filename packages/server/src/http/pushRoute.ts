import { parsePushRequest, type PushResponse } from '@fieldsync/core';
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
    // The wire contract's request check: a body of the wrong shape is 400 bad_request (errorResponse).
    const { changes } = parsePushRequest(await readJson(c));
    if (changes.length > ctx.limits.maxBatch) {
      throw new HttpError(
        413,
        'batch_too_large',
        `${changes.length} changes in one push; the limit is ${ctx.limits.maxBatch}`,
        'changes',
      );
    }
    const answer: PushResponse = await applyPush(ctx, c.get('user'), changes);
    const stored = answer.results.some((r) => r.status !== 'rejected');
    return c.json(answer, stored || changes.length === 0 ? 200 : 422);
  });
}
