import { MAX_DOCS_IDS, isDocId } from '@fieldsync/core';
import type { Hono } from 'hono';
import type { DocView } from '../auth/rules.js';
import { Visibility } from '../sync/SyncFilter.js';
import type { AppEnv, ServerContext } from './context.js';
import { HttpError } from './HttpError.js';

/**
 * The ids of `?ids=a,b,c`: 1 to `MAX_DOCS_IDS` document ids (core's `isDocId`), duplicates
 * dropped. Anything else is a 400 naming the problem: an id that is not a document id (NUL, a
 * comma-separated empty, 200 characters) could never be stored, and would fail a query on some
 * engines instead of being answered.
 */
export function parseDocIds(raw: string | undefined): string[] {
  if (raw === undefined || raw === '')
    throw new HttpError(
      400,
      'bad_ids',
      `"ids" must list 1 to ${MAX_DOCS_IDS} document ids, comma-separated`,
      'ids',
    );
  const ids = raw.split(',');
  if (ids.length > MAX_DOCS_IDS)
    throw new HttpError(
      400,
      'too_many_ids',
      `"ids" lists ${ids.length} ids; at most ${MAX_DOCS_IDS} per request`,
      'ids',
      { max: MAX_DOCS_IDS },
    );
  const bad = ids.findIndex((id) => !isDocId(id));
  if (bad >= 0)
    throw new HttpError(400, 'bad_ids', `ids[${bad}] is not a document id`, `ids[${bad}]`, {
      rule: 'doc-id',
    });
  return [...new Set(ids)];
}

/**
 * `GET /v1/docs?ids=a,b` → `{ docs, missing }` (core `DocsResponse`): the current stored states
 * of these documents, for a client returning a document to the server's state (discarding a
 * rejected change) without a full pull. The tenant's read rules apply as on a pull: a document
 * the caller may not read is answered as missing, exactly like an id the tenant never had, so
 * the answer reveals nothing about documents outside the caller's scope. A deleted document is
 * answered with its tombstoned state (as a pull would send it). Type definitions (`_types/…`
 * rows) are not reachable: their ids are not document ids. Partial-sync filters (`types`,
 * `where`) do not apply: the client asks for documents it holds.
 */
export function docsRoute(app: Hono<AppEnv>, ctx: ServerContext): void {
  app.get('/v1/docs', async (c) => {
    const user = c.get('user');
    const ids = parseDocIds(c.req.query('ids'));
    const vis = new Visibility(user, {}, ctx.permissions);
    const rows = await Promise.all(ids.map((id) => ctx.storage.getDoc(user.tenant, id)));
    const states: string[] = [];
    const missing: string[] = [];
    rows.forEach((row, i) => {
      const readable = row !== undefined && vis.visible(row.type, () => JSON.parse(row.view) as DocView);
      if (readable) states.push(row.state);
      else missing.push(ids[i] as string);
    });
    // Core's `DocsResponse`. The states are stored JSON text: spliced in, not parsed and
    // serialized again (like a pull page).
    const body = `{"docs":[${states.join(',')}],"missing":${JSON.stringify(missing)}}`;
    return c.body(body, 200, { 'content-type': 'application/json' });
  });
}
