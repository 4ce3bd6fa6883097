import type { ReadyEvent } from '@fieldsync/core';
import type { Hono } from 'hono';
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Subscriber } from '../realtime/SseHub.js';
import { sseComment, sseEvent } from '../realtime/sseFormat.js';
import { nodeSink, streamSink, type SseSink } from '../realtime/sseSinks.js';
import { deltaJSON, renderDelta, TYPES_COLLECTION } from '../sync/renderDelta.js';
import { Visibility, parseFilter } from '../sync/SyncFilter.js';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';
import { parseCursor } from './pullRoute.js';
import { checkHistory, storeHeaders } from './storeHeaders.js';

/**
 * `GET /v1/events?since=C&types=…&where=…` (or header `Last-Event-ID: C`): server-sent events.
 * First replays everything after C from storage, then streams live `sync` events whose `id` is
 * the cursor; `ready` marks the switch; `: ping` comments are heartbeats.
 */
export function eventsRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/v1/events', async (c) => {
    const user = c.get('user');
    const since = parseCursor(c.req.header('last-event-id') ?? c.req.query('since'), 'since');
    const filter = parseFilter(c.req.query('types'), c.req.query('where'));
    // The newest stream is refused, not the oldest closed: evicting would make two tabs of one
    // user over the limit evict each other in a reconnect loop, while a refusal is stable and the
    // client retries after Retry-After (a dead stream is dropped by its heartbeat or its cap).
    if (ctx.hub.streamsOf(user.tenant, user.id) >= ctx.limits.maxStreamsPerUser) {
      c.header('Retry-After', '30');
      throw new HttpError(
        429,
        'too_many_streams',
        `this user already holds ${ctx.limits.maxStreamsPerUser} event streams; close one or retry later`,
      );
    }
    await checkHistory(ctx, user.tenant, since);
    const headers = await storeHeaders(ctx, user.tenant);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    let sink: SseSink;
    let response: Response;
    if (outgoing && typeof outgoing.writeHead === 'function') {
      sink = nodeSink(outgoing, headers);
      response = RESPONSE_ALREADY_SENT;
    } else {
      const s = streamSink();
      sink = s.sink;
      response = c.body(s.body, 200, { ...s.headers, ...headers });
    }
    const sub: Subscriber = {
      tenant: user.tenant,
      user: user.id,
      visibility: new Visibility(user, filter, ctx.permissions),
      cursor: since,
      pending: [],
      write: (chunk) => sink.write(chunk),
      drained: () => sink.drained(),
      close: () => sink.close(),
    };
    ctx.hub.add(sub);
    sink.onClose(() => ctx.hub.remove(sub));
    sink.write(sseComment('connected'));
    void catchUp(ctx, sub, filter.types ? [...filter.types, TYPES_COLLECTION] : undefined).catch(() => {
      ctx.hub.remove(sub);
      sub.close();
    });
    return response;
  });
}

/**
 * Replays storage after the stream's cursor, one byte-bounded page at a time, each written only
 * once the previous one has left the socket: a reader that never reads costs one page of memory,
 * however large the tenant. Between the last check of `pendingDropped` and `goLive` nothing
 * awaits, so no committed batch can fall between the pages read and the batches held for the
 * switch.
 */
async function catchUp(ctx: ServerContext, s: Subscriber, types: string[] | undefined): Promise<void> {
  const sendGone = s.cursor > 0;
  for (let done = false; ;) {
    if (!(await s.drained())) return; // closed while waiting
    if (done) {
      const head = Math.max(s.cursor, await ctx.storage.tenantHead(s.tenant));
      // Held batches let go meanwhile (see SseHub #hold) are in storage: read on. Checked after
      // the last await, so none can be let go between this check and goLive.
      if (!s.pendingDropped) {
        const ready: ReadyEvent = { cursor: s.cursor, epoch: ctx.storage.epoch(), head };
        s.write(sseEvent('ready', s.cursor, JSON.stringify(ready)));
        ctx.hub.goLive(s);
        return;
      }
    }
    s.pendingDropped = false;
    const next = await sendPage(ctx, s, types, sendGone);
    if (next === 'gone') return;
    done = next === 'done';
  }
}

/**
 * Reads, renders and writes one catch-up page: whether more follow, or the stream ended. Its own function so that
 * the page's rows are unreachable while catch-up waits for the socket (an async function may
 * keep a loop body's variables alive across the next await).
 */
async function sendPage(
  ctx: ServerContext,
  s: Subscriber,
  types: string[] | undefined,
  sendGone: boolean,
): Promise<'more' | 'done' | 'gone'> {
  const since = s.cursor;
  const q = { since, limit: 1000, maxBytes: ctx.limits.maxPageBytes };
  const page = await ctx.storage.pull(s.tenant, types ? { ...q, types } : q);
  // History compacted while catching up: this page may lack removed rows. End the stream; the
  // client reconnects from its last event id and gets the 410.
  if (since > 0 && since < (await ctx.storage.maintenance.compacted(s.tenant))) {
    ctx.hub.remove(s);
    s.close();
    return 'gone';
  }
  const delta = renderDelta(page.docs, s.visibility, sendGone);
  s.cursor = page.cursor;
  if (delta.docs.length + delta.gone.length + delta.types.length > 0)
    s.write(sseEvent('sync', page.cursor, deltaJSON(delta, page.cursor)));
  return page.more ? 'more' : 'done';
}
