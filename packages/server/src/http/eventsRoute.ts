import type { Hono } from 'hono';
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Subscriber } from '../realtime/SseHub.js';
import { sseComment, sseEvent } from '../realtime/sseFormat.js';
import { nodeSink, streamSink, type SseSink } from '../realtime/sseSinks.js';
import { deltaJSON, renderDelta, TYPES_COLLECTION } from '../sync/renderDelta.js';
import { Visibility, parseFilter } from '../sync/SyncFilter.js';
import type { AppEnv, ServerContext } from './context.js';
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
    await checkHistory(ctx, since);
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
      visibility: new Visibility(user, filter, ctx.permissions),
      cursor: since,
      pending: [],
      write: (chunk) => sink.write(chunk),
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

async function catchUp(ctx: ServerContext, s: Subscriber, types: string[] | undefined): Promise<void> {
  const sendGone = s.cursor > 0;
  for (;;) {
    const since = s.cursor;
    const page = await ctx.storage.pull(
      s.tenant,
      types ? { since, limit: 1000, types } : { since, limit: 1000 },
    );
    // History compacted while catching up: this page may lack removed rows. End the stream; the
    // client reconnects from its last event id and gets the 410.
    if (since > 0 && since < (await ctx.storage.maintenance.compacted())) {
      ctx.hub.remove(s);
      s.close();
      return;
    }
    const delta = renderDelta(page.docs, s.visibility, sendGone);
    s.cursor = page.cursor;
    if (delta.docs.length + delta.gone.length + delta.types.length > 0)
      s.write(sseEvent('sync', page.cursor, deltaJSON(delta, page.cursor)));
    if (!page.more) break;
  }
  const head = Math.max(s.cursor, await ctx.storage.tenantHead(s.tenant));
  s.write(
    sseEvent('ready', s.cursor, JSON.stringify({ cursor: s.cursor, epoch: ctx.storage.epoch(), head })),
  );
  ctx.hub.goLive(s);
}
