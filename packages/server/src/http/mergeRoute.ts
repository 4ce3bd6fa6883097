import { parseMergeRequest, type MergeResponse } from '@fieldsync/core';
import type { Hono } from 'hono';
import { applyMerge } from '../sync/applyMerge.js';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { readJson } from './readJson.js';

/**
 * `POST /v1/merge` `{ docs: DocJSON[] }` → `{ results: MergeResult[], cursor }`: full document
 * states a device pushes back when it resynchronises (docs/protocol.md, "Resync"). Same limits as
 * a push (body size, `maxBatch` documents). 200 when at least one state is stored or already
 * held; 422 when every one was rejected (nothing was written).
 */
export function mergeRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.post('/v1/merge', async (c) => {
    const { docs } = parseMergeRequest(await readJson(c));
    if (docs.length > ctx.limits.maxBatch) {
      throw new HttpError(
        413,
        'batch_too_large',
        `${docs.length} documents in one merge; the limit is ${ctx.limits.maxBatch}`,
        'docs',
      );
    }
    const answer: MergeResponse = await applyMerge(ctx, c.get('user'), docs);
    const stored = answer.results.some((r) => r.status !== 'rejected');
    return c.json(answer, stored || docs.length === 0 ? 200 : 422);
  });
}
