import type Database from 'better-sqlite3';
import { docKeyHash } from './docKeyHash.js';
import { newEpoch } from '../epoch.js';
import type { MaintenanceOp } from './sqliteMaintenance.js';
import type { StoreMaintenance } from '../StorageEngine.js';

/** What the SQLite store's maintenance is built on. */
export interface StoreMaintenanceParts {
  /** The read connection (marks, tenants, compaction state are read here). */
  db: Database.Database;
  hashBase: number;
  /** Runs one step on the writer thread, between groups of pushes. */
  step(op: MaintenanceOp): Promise<number>;
  /** The tenant's row of `tenants` (absent for a tenant that never wrote). */
  tenant(tenant: string): { compacted: number; swept: number } | undefined;
  /** The store got a new epoch (after a restore). */
  epochChanged(epoch: string): void;
}

/**
 * `StoreMaintenance` of the SQLite engine: reads on the main thread's connection, every write a
 * step queued for the writer thread (so compaction never holds the write lock longer than one
 * step, and pushes interleave with it).
 */
export function sqliteStoreMaintenance(o: StoreMaintenanceParts): StoreMaintenance {
  const headAt = o.db.prepare<[string, number], { head: number | null }>(
    'SELECT max(head) AS head FROM tenant_marks WHERE tenant = ? AND at <= ?',
  );
  const tenants = o.db.prepare<[], string>('SELECT tenant FROM tenants').pluck();
  return {
    mark: async (now) => void (await o.step({ op: 'mark', now })),
    headAt: async (tenant, time) => headAt.get(tenant, time)?.head ?? 0,
    pruneMarks: async (time) => void (await o.step({ op: 'pruneMarks', time })),
    compacted: async (tenant) => o.tenant(tenant)?.compacted ?? 0,
    setCompacted: async (tenant, upTo) =>
      void (await o.step({ op: 'raise', key: 'compacted', tenant, upTo })),
    swept: async (tenant) => o.tenant(tenant)?.swept ?? 0,
    setSwept: async (tenant, upTo) => void (await o.step({ op: 'raise', key: 'swept', tenant, upTo })),
    deleteChanges: (tenant, below, limit) => o.step({ op: 'deleteChanges', tenant, below, limit }),
    deleteTombstones: (tenant, upTo, limit) => o.step({ op: 'deleteTombstones', tenant, upTo, limit }),
    tenants: async () => tenants.all(),
    rewrite: (tenant, rows) => {
      const flat: Array<string | number> = [];
      for (const r of rows) flat.push(docKeyHash(o.hashBase, tenant, r.id), r.id, r.seq, r.state);
      return o.step({ op: 'rewrite', tenant, rows: flat });
    },
    resetEpoch: async () => {
      const epoch = newEpoch();
      await o.step({ op: 'epoch', epoch });
      o.epochChanged(epoch);
      return epoch;
    },
  };
}
