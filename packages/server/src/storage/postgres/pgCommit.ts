import type pg from 'pg';
import { docBytes } from '../docBytes.js';
import type { CommitPlan, CommitRequest, CommitResult, LoadedState, StoredDoc } from '../StorageEngine.js';
import type { PgCommitFeed } from './PgCommitFeed.js';
import { toDoc, type DocRow } from './pgRows.js';
import { tenantLockKeys } from './pgTenantSequences.js';

/** Where a write goes: the pool, the schema, and the feed (and its NOTIFY channel) that announces it. */
export interface PgWriteTarget {
  pool: pg.Pool;
  schema: string;
  channel: string;
  feed: PgCommitFeed;
}

/**
 * One write in four round trips (latency under the lock is what bounds a tenant's throughput
 * across processes): BEGIN + the tenant's lock, one read of known change ids and current docs,
 * one statement that bumps the tenant's sequence, upserts the docs (with their sizes, which pull
 * pages are cut by: `pgDocBytes.ts`), inserts the change ids and queues the NOTIFY, COMMIT.
 *
 * Why the tenant's advisory lock: a PostgreSQL SEQUENCE hands out numbers in *start* order, but
 * transactions become visible in *commit* order, so a reader could see 11 before 10 commits and
 * skip 10 forever. Taking the lock before assigning sequences makes assignment order equal commit
 * order across all processes; writes of different tenants do not wait for each other.
 */
export async function pgCommit(
  w: PgWriteTarget,
  req: CommitRequest,
  plan: (loaded: LoadedState) => CommitPlan,
): Promise<CommitResult> {
  const s = w.schema;
  const { tenant } = req;
  const c = await w.pool.connect();
  let local: string | undefined;
  try {
    // Both keys are integers computed here, so inlining them is safe (and saves a round trip).
    const [k1, k2] = tenantLockKeys(s, tenant);
    await c.query(`BEGIN; SELECT pg_advisory_xact_lock(${k1}, ${k2})`);
    // Change ids come back with their content hash (in `state`), replicas with their owner.
    const read = await c.query<DocRow & { k: string }>(
      `SELECT 'd' AS k, id, type, seq, deleted, state::text AS state, view::text AS view FROM ${s}.docs WHERE tenant = $1 AND id = ANY($2::text[])
       UNION ALL
       SELECT 'c', id, NULL, NULL, NULL, hash, NULL FROM ${s}.changes WHERE tenant = $1 AND id = ANY($3::text[])
       UNION ALL
       SELECT 'r', replica, NULL, NULL, NULL, owner, NULL FROM ${s}.replicas WHERE tenant = $1 AND replica = ANY($4::text[])`,
      [tenant, req.docIds, req.changeIds, req.replicas ?? []],
    );
    const known = new Set<string>();
    const hashes = new Map<string, string>();
    const owners = new Map<string, string>();
    const docs = new Map<string, StoredDoc>();
    for (const r of read.rows) {
      if (r.k === 'c') {
        known.add(r.id);
        if (r.state !== null) hashes.set(r.id, r.state);
      } else if (r.k === 'r') owners.set(r.id, r.state);
      else docs.set(r.id, toDoc(r));
    }
    const out = plan({ known, hashes, owners, docs });
    if (out.docs.length === 0) {
      const head = await c.query<{ seq: string }>(`SELECT seq FROM ${s}.tenants WHERE tenant = $1`, [tenant]);
      await c.query('COMMIT');
      return { docs: [], cursor: Number(head.rows[0]?.seq ?? 0) };
    }
    const n = out.docs.length;
    const ordOf = new Map(out.docs.map((d, i) => [d.id, i + 1] as const));
    const wrote = await c.query<{ base: string }>(
      `WITH s AS (INSERT INTO ${s}.tenants AS t (tenant, seq) VALUES ($1, $2::bigint)
             ON CONFLICT (tenant) DO UPDATE SET seq = t.seq + excluded.seq RETURNING t.seq - $2::bigint AS base),
       d AS (INSERT INTO ${s}.docs (tenant, id, type, seq, deleted, state, view, bytes)
             SELECT $1, u.id, u.type, (SELECT base FROM s) + u.ord, u.deleted, u.state::json, u.view::json, u.bytes
             FROM unnest($3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $15::bigint[]) WITH ORDINALITY AS u(id, type, deleted, state, view, bytes, ord)
             ON CONFLICT (tenant, id) DO UPDATE SET type = excluded.type, seq = excluded.seq,
               deleted = excluded.deleted, state = excluded.state, view = excluded.view, bytes = excluded.bytes),
       c AS (INSERT INTO ${s}.changes (tenant, id, doc, seq, hash)
             SELECT $1, v.id, v.doc, (SELECT base FROM s) + v.ord, v.hash FROM unnest($8::text[], $9::text[], $10::bigint[], $12::text[]) AS v(id, doc, ord, hash)),
       r AS (INSERT INTO ${s}.replicas (tenant, replica, owner)
             SELECT $1, b.replica, b.owner FROM unnest($13::text[], $14::text[]) AS b(replica, owner)),
       n AS (SELECT pg_notify($11, json_build_object('t', $1::text, 'f', base + 1, 'to', base + $2::bigint)::text) FROM s)
       SELECT base FROM s, n`,
      [
        tenant,
        n,
        out.docs.map((d) => d.id),
        out.docs.map((d) => d.type),
        out.docs.map((d) => d.deleted),
        out.docs.map((d) => d.state),
        out.docs.map((d) => d.view),
        out.changes.map((x) => x.id),
        out.changes.map((x) => x.doc),
        out.changes.map((x) => ordOf.get(x.doc) ?? n),
        w.channel,
        out.changes.map((x) => x.hash ?? null),
        (out.bind ?? []).map((b) => b.replica),
        (out.bind ?? []).map((b) => b.user),
        out.docs.map((d) => docBytes(d.state, d.view)),
      ],
    );
    const base = Number(wrote.rows[0]?.base ?? 0);
    const written = out.docs.map((d, i) => ({ ...d, seq: base + i + 1 }));
    local = w.feed.remember(tenant, base + 1, written);
    await c.query('COMMIT');
    return { docs: written, cursor: base + n };
  } catch (e) {
    if (local !== undefined) w.feed.forget(local);
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}
