import type Database from 'better-sqlite3';

/** One compaction step, run by the SQLite writer thread between groups of pushes. */
export type MaintenanceOp =
  | { op: 'mark'; now: number }
  | { op: 'pruneMarks'; time: number }
  | { op: 'raise'; key: 'compacted' | 'swept'; upTo: number }
  | { op: 'deleteChanges'; upTo: number; limit: number }
  | { op: 'deleteTombstones'; upTo: number; limit: number }
  /** `rows`: `[h, id, seq, state]` flattened. */
  | { op: 'rewrite'; tenant: string; rows: Array<string | number> }
  | { op: 'epoch'; epoch: string };

/**
 * Prepares `db` (the writer thread's connection) for compaction steps and returns the function
 * that runs one. Shipped to the writer thread as source text like `sqliteGroupWrite`, so it must
 * not reference anything outside its body. Each step is one short transaction of at most `limit`
 * rows: the writer runs it between two groups of pushes, so a push waits at most one step.
 * Returns the number of rows changed.
 */
export function sqliteMaintenance(db: Database.Database): (m: MaintenanceOp) => number {
  const st = {
    mark: db.prepare("INSERT OR REPLACE INTO marks (at, head) SELECT ?, value FROM meta WHERE key = 'seq'"),
    prune: db.prepare('DELETE FROM marks WHERE at < (SELECT max(at) FROM marks WHERE at <= ?)'),
    raise: db.prepare('UPDATE meta SET value = max(value, ?) WHERE key = ?'),
    changes: db.prepare(
      'DELETE FROM changes WHERE (tenant, id) IN (SELECT tenant, id FROM changes INDEXED BY changes_seq WHERE seq <= ? ORDER BY seq LIMIT ?)',
    ),
    tombstones: db.prepare(
      // Each tenant's newest row stays: it holds up the tenant's head (SqliteEngine.tenantHead).
      `DELETE FROM docs WHERE rowid IN (SELECT rowid FROM docs AS d INDEXED BY docs_deleted WHERE d.deleted = 1 AND d.seq <= ?
       AND d.seq < (SELECT max(seq) FROM docs AS m WHERE m.tenant = d.tenant) ORDER BY d.seq LIMIT ?)`,
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
  return (m) => {
    switch (m.op) {
      case 'mark':
        return st.mark.run(m.now).changes;
      case 'pruneMarks':
        return st.prune.run(m.time).changes;
      case 'raise':
        return st.raise.run(m.upTo, m.key).changes;
      case 'deleteChanges':
        return st.changes.run(m.upTo, m.limit).changes;
      case 'deleteTombstones':
        return st.tombstones.run(m.upTo, m.limit).changes;
      case 'rewrite':
        return rewrite.immediate(m.tenant, m.rows);
      case 'epoch':
        return st.epoch.run(m.epoch).changes;
    }
  };
}
