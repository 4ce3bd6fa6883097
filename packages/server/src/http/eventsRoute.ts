import type { Hono } from 'hono';
import type { Subscriber } from '../realtime/SseHub.js';
import { sseComment, sseEvent } from '../realtime/sseFormat.js';
import { deltaJSON, renderDelta, TYPES_COLLECTION } from '../sync/renderDelta.js';
import { Visibility, parseFilter } from '../sync/SyncFilter.js';
import type { AppEnv, ServerContext } from './context.js';
import { parseCursor } from './pullRoute.js';

/** A stream with this many unsent chunks is dropped; the client resumes with Last-Event-ID. */
const MAX_QUEUED_CHUNKS = 2000;

/**
 * `GET /v1/events?since=C&types=…&where=…` (or header `Last-Event-ID: C`): server-sent events.
 * First replays everything after C from storage, then streams live `sync` events whose `id` is
 * the cursor; `ready` marks the switch; `: ping` comments are heartbeats.
 */
export function eventsRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/v1/events', (c) => {
    const user = c.get('user');
    const since = parseCursor(c.req.header('last-event-id') ?? c.req.query('since'), 'since');
    const filter = parseFilter(c.req.query('types'), c.req.query('where'));
    const vis = new Visibility(user, filter, ctx.permissions);
    const enc = new TextEncoder();
    let sub: Subscriber | undefined;
    let closed = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const s: Subscriber = {
          tenant: user.tenant,
          visibility: vis,
          cursor: since,
          pending: [],
          write(chunk) {
            if (closed) return false;
            try {
              controller.enqueue(enc.encode(chunk));
            } catch {
              // The client went away between two events: report it so the hub drops the stream.
              closed = true;
              return false;
            }
            return (controller.desiredSize ?? 0) > -MAX_QUEUED_CHUNKS;
          },
          close() {
            if (closed) return;
            closed = true;
            try {
              controller.close();
            } catch {
              // already closed by the client
            }
          },
        };
        sub = s;
        ctx.hub.add(s);
        s.write(sseComment('connected'));
        void catchUp(ctx, s, filter.types ? [...filter.types, TYPES_COLLECTION] : undefined).catch(() => {
          ctx.hub.remove(s);
          s.close();
        });
      },
      cancel() {
        closed = true;
        if (sub) ctx.hub.remove(sub);
      },
    });
    return c.body(stream, 200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
  });
}

async function catchUp(ctx: ServerContext, s: Subscriber, types: string[] | undefined): Promise<void> {
  const sendGone = s.cursor > 0;
  for (;;) {
    const since = s.cursor;
    const page = await ctx.storage.pull(s.tenant, types ? { since, limit: 1000, types } : { since, limit: 1000 });
    const delta = renderDelta(page.docs, s.visibility, sendGone);
    s.cursor = page.cursor;
    if (delta.docs.length + delta.gone.length + delta.types.length > 0) s.write(sseEvent('sync', page.cursor, deltaJSON(delta, page.cursor)));
    if (!page.more) break;
  }
  s.write(sseEvent('ready', s.cursor, `{"cursor":${s.cursor}}`));
  ctx.hub.goLive(s);
}
