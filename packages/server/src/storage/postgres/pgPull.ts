import type pg from 'pg';
import type { PullPage, PullQuery } from '../StorageEngine.js';
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
  // The byte budget is applied inside the database, so rows past it never reach this process.
  // First a cheap cut on stored sizes (`pg_column_size`, no conversion; at most the text size
  // for all but tiny values) drops rows that cannot fit, so only the rest are converted to text;
  // then a running total of the text sizes keeps every row that ends within the budget (the
  // first row always), and the one row that crosses it comes back without content, as the
  // "more" mark. `total` tells whether the first cut dropped rows (then more follow too).
  params.push(q.maxBytes);
  const b = `$${params.length}`;
  const res = await pool.query<DocRow & { cut: boolean; total: string }>(
    `SELECT id, type, seq, deleted, CASE WHEN cut THEN NULL ELSE state END AS state,
            CASE WHEN cut THEN NULL ELSE view END AS view, cut, total
     FROM (SELECT *, rn > 1 AND run > ${b} AS cut FROM (
       SELECT t.*, row_number() OVER w AS rn,
              sum(octet_length(t.state) + octet_length(t.view)) OVER w AS run
       FROM (SELECT id, type, seq, deleted, state::text AS state, view::text AS view, total
             FROM (SELECT l.*, row_number() OVER v AS prn, count(*) OVER () AS total,
                          sum(pg_column_size(l.state) + pg_column_size(l.view)) OVER v AS prun
                   FROM (SELECT id, type, seq, deleted, state, view FROM ${s}.docs
                         WHERE ${where} ORDER BY seq LIMIT $3) l
                   WINDOW v AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)) s
             WHERE prn <= 2 OR prun - pg_column_size(state) - pg_column_size(view) <= ${b}) t
       WINDOW w AS (ORDER BY seq ROWS UNBOUNDED PRECEDING)) r
     ) c WHERE rn <= 2 OR run - octet_length(state) - octet_length(view) <= ${b}
     ORDER BY seq`,
    params,
  );
  const kept = res.rows.filter((r) => !r.cut);
  const examined = Number(res.rows[0]?.total ?? 0);
  const more = kept.length < res.rows.length || kept.length > q.limit || res.rows.length < examined;
  const docs = (kept.length > q.limit ? kept.slice(0, q.limit) : kept).map(toDoc);
  const last = docs[docs.length - 1];
  return { docs, cursor: last ? last.seq : q.since, more };
}
