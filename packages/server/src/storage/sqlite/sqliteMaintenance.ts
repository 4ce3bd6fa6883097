import type Database from 'better-sqlite3';

/** One compaction step, run by the SQLite writer thread between groups of pushes. */
export type MaintenanceOp =
  | { op: 'mark'; now: number }
  | { op: 'pruneMarks'; time: number }
  | { op: 'raise'; key: 'compacted' | 'swept'; tenant: string; upTo: number }
  | { op: 'deleteChanges'; tenant: string; below: string; limit: number }
  | { op: 'deleteTombstones'; tenant: string; upTo: number; limit: number }
  /** `rows`: `[h, id, seq, state]` flattened. */
  | { op: 'rewrite'; tenant: string; rows: Array<string | number> }
  | { op: 'epoch'; epoch: string };

/**
 * Prepares `db` (the writer thread's connection) for compaction steps and returns the function
 * that runs one. Each step is one short transaction of at most `limit`
 * rows: the writer runs it between two groups of pushes, so a push waits at most one step.
 * Returns the number of rows changed.
 */
export function sqliteMaintenance(db: Database.Database): (m: MaintenanceOp) => number {
  const st = {
    // Only tenants whose head moved since their last mark: headAt answers the same for the others.
    mark: db.prepare(
      `INSERT OR REPLACE INTO tenant_marks (tenant, at, head) SELECT t.tenant, ?, t.seq FROM tenants AS t
       WHERE NOT EXISTS (SELECT 1 FROM tenant_marks AS m WHERE m.tenant = t.tenant AND m.head >= t.seq)`,
    ),
    prune: db.prepare(
      `DELETE FROM tenant_marks WHERE at < (SELECT max(at) FROM tenant_marks AS k
       WHERE k.tenant = tenant_marks.tenant AND k.at <= ?)`,
    ),
    raise: {
      compacted: db.prepare('UPDATE tenants SET compacted = max(compacted, ?) WHERE tenant = ?'),
      swept: db.prepare('UPDATE tenants SET swept = max(swept, ?) WHERE tenant = ?'),
    },
    // A step removes one contiguous range of the (tenant, id) key: find its end, delete up to it.
    changesEnd: db
      .prepare<[string, string, number], string>(
        'SELECT id FROM changes WHERE tenant = ? AND id < ? ORDER BY id LIMIT 1 OFFSET ?',
      )
      .pluck(),
    changes: db.prepare('DELETE FROM changes WHERE tenant = ? AND id < ?'),
    tombstones: db.prepare(
      `DELETE FROM docs WHERE rowid IN (SELECT rowid FROM docs INDEXED BY docs_deleted
       WHERE tenant = ? AND deleted = 1 AND seq <= ? ORDER BY seq LIMIT ?)`,
    ),
    rewrite: db.prepare(
      'UPDATE docs SET state = ? WHERE rowid = (SELECT rowid FROM docs INDEXED BY docs_h WHERE h = ? AND tenant = ? AND id = ?) AND seq = ?',
    ),
    epoch: db.prepare(
      "INSERT INTO info (key, value) VALUES ('epoch', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
  };
  const rewrite = db.transaction((tenant: string, rows: Array<string | number>): number => {
    let n = 0;
    for (let i = 0; i < rows.length; i += 4)
      n += st.rewrite.run(rows[i + 3], rows[i], tenant, rows[i + 1], rows[i + 2]).changes;
    return n;
  });
  // Ranges of 1,000 ids until `limit` or the time budget is used up: one round trip to this
  // thread removes as much as ~8 ms allow, and never holds the writer much longer than that.
  const RANGE = 1000;
  const BUDGET_MS = 8;
  const deleteChanges = db.transaction((tenant: string, below: string, limit: number): number => {
    const start = performance.now();
    let total = 0;
    while (total < limit && performance.now() - start < BUDGET_MS) {
      const n = Math.min(RANGE, limit - total);
      const removed = st.changes.run(tenant, st.changesEnd.get(tenant, below, n) ?? below).changes;
      total += removed;
      if (removed < n) break;
    }
    return total;
  });
  // Compaction loses nothing if a crash undoes its last steps (they are redone), so its commits
  // skip the fsync; the next commit of a push syncs the WAL, these frames included.
  const light = <T>(step: () => T): T => {
    const mode = db.pragma('synchronous', { simple: true }) as number;
    db.pragma('synchronous = NORMAL');
    try {
      return step();
    } finally {
      db.pragma(`synchronous = ${mode}`);
    }
  };
  return (m) =>
    light(() => {
      switch (m.op) {
        case 'mark':
          return st.mark.run(m.now).changes;
        case 'pruneMarks':
          return st.prune.run(m.time).changes;
        case 'raise':
          return st.raise[m.key].run(m.upTo, m.tenant).changes;
        case 'deleteChanges':
          return deleteChanges.immediate(m.tenant, m.below, m.limit);
        case 'deleteTombstones':
          return st.tombstones.run(m.tenant, m.upTo, m.limit).changes;
        case 'rewrite':
          return rewrite.immediate(m.tenant, m.rows);
        case 'epoch':
          return st.epoch.run(m.epoch).changes;
      }
    });
}
