import type pg from 'pg';
import type { PullPage, PullQuery } from '../StorageEngine.js';
import { sqlDocBytes } from './pgDocBytes.js';
import { DOC_COLUMNS, toDoc, type DocRow } from './pgRows.js';

/** One pull page of `tenant` from schema `s` (see `StorageEngine.pull`). */
export async function pgPull(pool: pg.Pool, s: string, tenant: string, q: PullQuery): Promise<PullPage> {
  const params: unknown[] = [tenant, q.since, q.limit + 1];
  let where = 'tenant = $1 AND seq > $2';
  if (q.upTo !== undefined) {
    params.push(q.upTo);
    where += ` AND seq <= $${params.length}`;
  }
  if (q.types && q.types.length > 0) {
    params.push(q.types);
    where += ` AND type = ANY($${params.length}::text[])`;
  }
  const page = `SELECT ${DOC_COLUMNS} FROM ${s}.docs WHERE ${where} ORDER BY seq LIMIT $3`;
  if (q.maxBytes === undefined) {
    const res = await pool.query<DocRow>(page, params);
    const more = res.rows.length > q.limit;
    const docs = (more ? res.rows.slice(0, q.limit) : res.rows).map(toDoc);
    const last = docs[docs.length - 1];
    return { docs, cursor: last ? last.seq : q.since, more };
  }
  // The byte budget is applied inside the database, on the rows' stored sizes (`docs.bytes`):
  // a running total over the candidates keeps every row that ends within the budget (the first
  // row always, so a larger one goes alone), and only the kept rows' state and view are read
  // (joined back by key). `total` (the candidates, at most limit + 1) tells whether more follow. Rows whose size is
  // unknown (written before the column existed) are sized here and the size is stored (`f`),
  // skipping rows a writer holds, which are sized for this page only; all of it one statement,
  // so the page is read from one snapshot. With no unknown sizes, `f` finds nothing in the
  // partial index `docs_bytes_unknown` and converts nothing.
  params.push(q.maxBytes);
  const b = `$${params.length}`;
  const res = await pool.query<DocRow & { total: string }>(
    `WITH f AS (
       UPDATE ${s}.docs AS u SET bytes = ${sqlDocBytes('u.state', 'u.view')}
       FROM (SELECT id FROM ${s}.docs WHERE ${where} AND bytes IS NULL
             ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) AS x
       WHERE u.tenant = $1 AND u.id = x.id
       RETURNING u.id, u.bytes),
     k AS (
       SELECT id, total FROM (
         SELECT l.id, row_number() OVER w AS rn, count(*) OVER () AS total,
                sum(COALESCE(l.bytes, f.bytes, ${sqlDocBytes('l.state', 'l.view')})) OVER w AS run
         FROM (SELECT id, seq, bytes, state, view FROM ${s}.docs WHERE ${where} ORDER BY seq LIMIT $3) AS l
         LEFT JOIN f ON f.id = l.id
         WINDOW w AS (ORDER BY l.seq ROWS UNBOUNDED PRECEDING)) AS r
       WHERE rn < $3 AND (rn = 1 OR run <= ${b}))
     SELECT d.id, d.type, d.seq, d.deleted, d.state::text AS state, d.view::text AS view, k.total
     FROM k JOIN ${s}.docs AS d ON d.tenant = $1 AND d.id = k.id
     ORDER BY d.seq`,
    params,
  );
  const docs = res.rows.map(toDoc);
  const more = docs.length < Number(res.rows[0]?.total ?? 0);
  const last = docs[docs.length - 1];
  return { docs, cursor: last ? last.seq : q.since, more };
}
