import { EPOCH_HEADER, HEAD_HEADER, TIME_HEADER } from '@fieldsync/core';
import type { MiddlewareHandler } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { User } from '../auth/User.js';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';

// The header names are core's (`EPOCH_HEADER` …; docs/protocol.md, "Epoch, head and time"): the
// client reads them with core's `parseStoreHeaders`.

/**
 * The store's identity, the caller's head and the wall clock as response headers (the head only
 * when the caller is known). Why on every response: a device
 * learns from whatever it happened to send (a push, a pull, even a 401) that the server's store
 * was replaced (another epoch) or lost history (a head below the device's cursor), and how far its
 * own clock is off — without a request of its own for it. The head is read after the handler ran,
 * so it is never below a cursor the response hands out.
 */
export async function storeHeaders(
  ctx: ServerContext,
  tenant: string | undefined,
): Promise<Record<string, string>> {
  // The tenant's own head (every tenant has its own sequence). An anonymous response (no valid
  // token) has no head.
  const head = tenant === undefined ? undefined : await ctx.storage.tenantHead(tenant);
  return {
    [EPOCH_HEADER]: ctx.storage.epoch(),
    ...(head === undefined ? {} : { [HEAD_HEADER]: String(head) }),
    [TIME_HEADER]: String(Date.now()),
  };
}

/** Sets the store headers on every response, errors included (registered before every route). */
export function storeHeadersMiddleware(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.res === RESPONSE_ALREADY_SENT) return; // an SSE stream wrote its own headers
    let headers: Record<string, string>;
    try {
      headers = await storeHeaders(ctx, (c.get('user') as User | undefined)?.tenant);
    } catch {
      // Storage unreachable: still say who we are and what time it is (the body says what failed).
      headers = { [EPOCH_HEADER]: ctx.storage.epoch(), [TIME_HEADER]: String(Date.now()) };
    }
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}

/**
 * Refuses a read from a cursor whose history was compacted: `0 < since < compacted` (the
 * tenant's) → 410 `history_gone` (the device resyncs in full; docs/protocol.md, "History horizon").
 */
export async function checkHistory(ctx: ServerContext, tenant: string, since: number): Promise<void> {
  if (since === 0) return;
  const compacted = await ctx.storage.maintenance.compacted(tenant);
  if (since < compacted) {
    throw new HttpError(
      410,
      'history_gone',
      `history before cursor ${compacted} was compacted (older than the server's history horizon); pull from since=0 and resync`,
      'since',
      { horizon: compacted },
    );
  }
}
