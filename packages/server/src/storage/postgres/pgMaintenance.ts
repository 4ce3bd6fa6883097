import type pg from 'pg';
import { newEpoch } from '../epoch.js';
import type { StoreMaintenance } from '../StorageEngine.js';
import { sqlJsonBytes } from './pgDocBytes.js';

/**
 * History maintenance of schema `s` (see `StoreMaintenance`): each call one small statement in
 * its own transaction, so compaction never holds a tenant's write lock for long. `epochChanged`
 * tells the engine the epoch it answers with after `resetEpoch`.
 */
export function pgMaintenance(
  pool: pg.Pool,
  s: string,
  epochChanged: (epoch: string) => void,
): StoreMaintenance {
  const q = async (sql: string, params: unknown[] = []): Promise<pg.QueryResult> => pool.query(sql, params);
  const tenantColumn = async (tenant: string, col: 'compacted' | 'swept'): Promise<number> =>
    Number((await q(`SELECT ${col} AS v FROM ${s}.tenants WHERE tenant = $1`, [tenant])).rows[0]?.v ?? 0);
  const raise = async (tenant: string, col: 'compacted' | 'swept', upTo: number): Promise<void> =>
    void (await q(`UPDATE ${s}.tenants SET ${col} = GREATEST(${col}, $2) WHERE tenant = $1`, [tenant, upTo]));
  return {
    // Only tenants whose head moved since their last mark: headAt answers the same for the others.
    mark: async (now) =>
      void (await q(
        `INSERT INTO ${s}.tenant_marks (tenant, at, head) SELECT t.tenant, $1, t.seq FROM ${s}.tenants AS t
         WHERE NOT EXISTS (SELECT 1 FROM ${s}.tenant_marks AS m WHERE m.tenant = t.tenant AND m.head >= t.seq)
         ON CONFLICT (tenant, at) DO UPDATE SET head = excluded.head`,
        [now],
      )),
    headAt: async (tenant, time) =>
      Number(
        (
          await q(`SELECT max(head) AS head FROM ${s}.tenant_marks WHERE tenant = $1 AND at <= $2`, [
            tenant,
            time,
          ])
        ).rows[0]?.head ?? 0,
      ),
    pruneMarks: async (time) =>
      void (await q(
        `DELETE FROM ${s}.tenant_marks AS d WHERE at < (SELECT max(at) FROM ${s}.tenant_marks AS k
         WHERE k.tenant = d.tenant AND k.at <= $1)`,
        [time],
      )),
    compacted: (tenant) => tenantColumn(tenant, 'compacted'),
    setCompacted: (tenant, upTo) => raise(tenant, 'compacted', upTo),
    swept: (tenant) => tenantColumn(tenant, 'swept'),
    setSwept: (tenant, upTo) => raise(tenant, 'swept', upTo),
    deleteChanges: async (tenant, below, limit) =>
      (
        await q(
          `DELETE FROM ${s}.changes WHERE tenant = $1 AND id IN (SELECT id FROM ${s}.changes WHERE tenant = $1 AND id < $2 ORDER BY id LIMIT $3)`,
          [tenant, below, limit],
        )
      ).rowCount ?? 0,
    deleteTombstones: async (tenant, upTo, limit) =>
      (
        await q(
          `DELETE FROM ${s}.docs WHERE tenant = $1 AND id IN (SELECT id FROM ${s}.docs
           WHERE tenant = $1 AND deleted AND seq <= $2 ORDER BY seq LIMIT $3)`,
          [tenant, upTo, limit],
        )
      ).rowCount ?? 0,
    tenants: async () =>
      (await q(`SELECT tenant FROM ${s}.tenants`)).rows.map((r: { tenant: string }) => r.tenant),
    rewrite: async (tenant, rows) =>
      (
        await q(
          // The view is unchanged: the row's size is the new state's plus the view's.
          `UPDATE ${s}.docs AS d SET state = u.state::json, bytes = u.bytes + ${sqlJsonBytes('d.view')}
           FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[]) AS u(id, seq, state, bytes)
           WHERE d.tenant = $1 AND d.id = u.id AND d.seq = u.seq`,
          [
            tenant,
            rows.map((r) => r.id),
            rows.map((r) => r.seq),
            rows.map((r) => r.state),
            rows.map((r) => Buffer.byteLength(r.state)),
          ],
        )
      ).rowCount ?? 0,
    resetEpoch: async () => {
      const epoch = newEpoch();
      await q(
        `INSERT INTO ${s}.info (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [epoch],
      );
      epochChanged(epoch);
      return epoch;
    },
  };
}
