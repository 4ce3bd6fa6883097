import type Database from 'better-sqlite3';

/**
 * One push as the writer thread receives it: everything already merged and serialized on the
 * main thread, plus what the main thread saw when it read (the optimistic check).
 */
export interface WritePush {
  tenant: string;
  /**
   * Documents in write order, 8 values each (`FIELDS` in `sqliteGroupWrite`): rowid and sequence as read by the main
   * thread (0, 0 for a document that did not exist), id, lookup key (docKeyHash), type,
   * deleted (0/1), state, view.
   */
  docs: Array<string | number>;
  /**
   * `[change id, document id, content hash]` triples, flattened. Every id was absent when the
   * main thread read.
   */
  changes: string[];
  /** `[replica, user]` pairs, flattened: replica ids unbound when the main thread read. */
  binds: string[];
}

/** Per push: its highest sequence, or a conflict (retry), or a failure (nothing stored). */
export type WriteOutcome = { to: number } | { conflict: true } | { error: string; code?: string };

/** One group's result: an outcome per push (the transaction committed), or `groupError` (nothing stored). */
export type GroupResult = { outcomes: WriteOutcome[] } | { groupError: string; code?: string };

export interface GroupWriteOptions {
  synchronous: 'FULL' | 'NORMAL';
  /** False when a checkpoint thread copies the WAL back (SQLite's own checkpoints are then off). */
  autoCheckpoint: boolean;
  /** How long BEGIN waits for another connection's write lock before failing with SQLITE_BUSY. */
  busyTimeoutMs: number;
}

/**
 * Prepares `db` (a connection of its own, used for nothing else) to write groups of merged
 * pushes and returns the function that writes one group: the write and its checks, run by the
 * writer thread (sqliteWriterWorker.ts).
 *
 * A group is ONE transaction (`BEGIN IMMEDIATE`, one WAL sync at COMMIT), each push in its own
 * savepoint. A push is verified against what the main thread read: an existing document is
 * updated only if it still carries the sequence that was read (sequences are unique within a tenant, so
 * `rowid = ? AND seq = ?` names exactly the version that was merged), a new document or a change
 * id must still be absent. If anything moved (another connection wrote since the read), the push
 * is rolled back alone and reported as a conflict, and the main thread merges it again. Never
 * throws: a failed BEGIN or COMMIT is `groupError` (nothing of the group is stored).
 */
export function sqliteGroupWrite(
  db: Database.Database,
  o: GroupWriteOptions,
): (pushes: WritePush[]) => GroupResult {
  const FIELDS = 8;
  const ROWS = 100;
  db.pragma(`synchronous = ${o.synchronous}`);
  db.pragma(`busy_timeout = ${o.busyTimeoutMs}`);
  if (!o.autoCheckpoint) db.pragma('wal_autocheckpoint = 0');
  // The tenant's own sequence (a tenant's first write creates it).
  const bumpSeq = db.prepare<[string, number], { seq: number }>(
    'INSERT INTO tenants (tenant, seq) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET seq = seq + excluded.seq RETURNING seq',
  );
  const update = db.prepare(
    'UPDATE docs SET type = ?, seq = ?, deleted = ?, state = ?, view = ? WHERE rowid = ? AND seq = ?',
  );
  // (tenant, id) is unique because every writer checks here, holding the write lock, before it inserts.
  const existing = db.prepare<[string, string], { id: string }>(
    'SELECT id FROM docs INDEXED BY docs_h WHERE h IN (SELECT value FROM json_each(?)) AND tenant = ?',
  );
  const changeExists = db.prepare(
    'SELECT 1 FROM changes WHERE tenant = ? AND id IN (SELECT value FROM json_each(?)) LIMIT 1',
  );
  const bind = db.prepare('INSERT OR IGNORE INTO replicas (tenant, replica, owner) VALUES (?, ?, ?)');
  const ownerOf = db.prepare<[string, string], { owner: string }>(
    'SELECT owner FROM replicas WHERE tenant = ? AND replica = ?',
  );
  const multi = new Map<string, Database.Statement<unknown[]>>();
  const insert = (
    table: string,
    cols: string,
    width: number,
    rows: number,
  ): Database.Statement<unknown[]> => {
    const key = `${table}:${rows}`;
    let st = multi.get(key);
    if (!st) {
      const row = `(${Array.from({ length: width }, () => '?').join(',')})`;
      st = db.prepare<unknown[]>(
        `INSERT INTO ${table} (${cols}) VALUES ${Array.from({ length: rows }, () => row).join(',')}`,
      );
      multi.set(key, st);
    }
    return st;
  };
  const CONFLICT = { conflict: true } as const;

  const writeOne = (p: WritePush): number => {
    const d = p.docs;
    const n = d.length / FIELDS;
    const to = bumpSeq.get(p.tenant, n)?.seq;
    if (to === undefined) throw new Error('the sequence was not assigned');
    const base = to - n;
    const seqOf = new Map<string, number>();
    const fresh: unknown[] = [];
    const freshIds = new Set<string>();
    const freshKeys: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const k = i * FIELDS;
      const id = d[k + 2] as string;
      if (seqOf.has(id)) throw new Error(`document "${id}" is written twice in one push`);
      seqOf.set(id, base + i + 1);
      if (d[k] === 0) {
        freshIds.add(id);
        freshKeys.push(d[k + 3]);
      }
    }
    if (freshKeys.length > 0) {
      for (const r of existing.all(JSON.stringify(freshKeys), p.tenant))
        if (freshIds.has(r.id)) throw CONFLICT; // created meanwhile
    }
    for (let i = 0; i < n; i++) {
      const k = i * FIELDS;
      const seq = base + i + 1;
      if (d[k] === 0) fresh.push(p.tenant, d[k + 2], d[k + 3], d[k + 4], seq, d[k + 5], d[k + 6], d[k + 7]);
      else if (update.run(d[k + 4], seq, d[k + 5], d[k + 6], d[k + 7], d[k], d[k + 1]).changes !== 1) {
        throw CONFLICT; // written by someone else since it was read
      }
    }
    // A replica bound meanwhile by another connection to another user: merge again (the plan
    // then sees the owner and rejects the change).
    for (let i = 0; i < p.binds.length; i += 2) {
      const replica = p.binds[i]!;
      if (
        bind.run(p.tenant, replica, p.binds[i + 1]).changes === 0 &&
        ownerOf.get(p.tenant, replica)?.owner !== p.binds[i + 1]
      )
        throw CONFLICT;
    }
    const rows: unknown[] = [];
    for (let i = 0; i < p.changes.length; i += 3) {
      const doc = p.changes[i + 1]!;
      rows.push(p.tenant, p.changes[i], doc, seqOf.get(doc) ?? to, p.changes[i + 2] || null);
    }
    const nf = freshIds.size;
    for (let r = 0; r < nf; r += ROWS) {
      const k = Math.min(ROWS, nf - r);
      insert('docs', 'tenant, id, h, type, seq, deleted, state, view', 8, k).run(
        fresh.slice(r * 8, (r + k) * 8),
      );
    }
    const nc = p.changes.length / 3;
    for (let r = 0; r < nc; r += ROWS) {
      const k = Math.min(ROWS, nc - r);
      insert('changes', 'tenant, id, doc, seq, hash', 5, k).run(rows.slice(r * 5, (r + k) * 5));
    }
    return to;
  };
  const savepoint = db.transaction(writeOne);
  const changeIds = (p: WritePush): string[] => p.changes.filter((_, i) => i % 3 === 0);
  const group = db.transaction((pushes: WritePush[]): WriteOutcome[] =>
    pushes.map((p) => {
      try {
        return { to: savepoint(p) };
      } catch (e) {
        if (e === CONFLICT) return CONFLICT;
        // Rolled back to before this push: a change id that exists now was stored by someone
        // else after the main thread read (a conflict); otherwise the push itself is at fault.
        if (p.changes.length > 0 && changeExists.get(p.tenant, JSON.stringify(changeIds(p)))) return CONFLICT;
        const code = (e as { code?: unknown }).code;
        return {
          error: e instanceof Error ? e.message : String(e),
          ...(typeof code === 'string' ? { code } : {}),
        };
      }
    }),
  );

  return (pushes) => {
    try {
      return { outcomes: group.immediate(pushes) };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return {
        groupError: e instanceof Error ? e.message : String(e),
        ...(typeof code === 'string' ? { code } : {}),
      };
    }
  };
}
