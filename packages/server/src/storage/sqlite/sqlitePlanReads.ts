import type Database from 'better-sqlite3';
import { docKeyHash } from './docKeyHash.js';
import { toDoc, type DocRow } from './sqliteSchema.js';
import type { WritePush } from './sqliteGroupWrite.js';
import type { CommitPlan, CommitRequest, LoadedState, StoredDoc } from '../StorageEngine.js';

/** What a push's plan was given, and what the writer must find unchanged to write its result. */
export interface PlanRead {
  loaded: LoadedState;
  /** rowid and sequence of each stored document as read: what the writer checks before writing. */
  read: Map<string, [rowid: number, seq: number]>;
  /** Lookup key (docKeyHash) of each requested document. */
  hashes: Map<string, number>;
}

/**
 * The main thread's reads for a push (its own connection; WAL readers never wait for the
 * writer): which change ids are stored (with their content hashes), which replicas are bound, and
 * the stored documents — one statement each, for all the push's ids at once (JSON array
 * parameters). A lookup key may collide and bring another document, which is dropped here.
 */
export class PlanReads {
  readonly #hashBase: number;
  readonly #getDocs: Database.Statement<[string, string], DocRow & { rowid: number }>;
  readonly #knownChanges: Database.Statement<[string, string], { id: string; hash: string | null }>;
  readonly #owners: Database.Statement<[string, string], { replica: string; owner: string }>;

  constructor(db: Database.Database, hashBase: number) {
    this.#hashBase = hashBase;
    this.#getDocs = db.prepare(
      'SELECT rowid, id, type, seq, deleted, state, view FROM docs INDEXED BY docs_h WHERE h IN (SELECT value FROM json_each(?)) AND tenant = ?',
    );
    this.#knownChanges = db.prepare(
      'SELECT id, hash FROM changes WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))',
    );
    this.#owners = db.prepare(
      'SELECT replica, owner FROM replicas WHERE tenant = ? AND replica IN (SELECT value FROM json_each(?))',
    );
  }

  /** Reads everything `req` names. */
  read(req: CommitRequest): PlanRead {
    const { tenant, changeIds, docIds, replicas = [] } = req;
    const known = new Set<string>();
    const contentHashes = new Map<string, string>();
    if (changeIds.length > 0)
      for (const r of this.#knownChanges.all(tenant, JSON.stringify(changeIds))) {
        known.add(r.id);
        if (r.hash !== null) contentHashes.set(r.id, r.hash);
      }
    const owners = new Map<string, string>();
    if (replicas.length > 0)
      for (const r of this.#owners.all(tenant, JSON.stringify(replicas))) owners.set(r.replica, r.owner);
    const docs = new Map<string, StoredDoc>();
    const read = new Map<string, [number, number]>();
    const hashes = new Map<string, number>();
    if (docIds.length > 0) {
      for (const id of docIds) hashes.set(id, docKeyHash(this.#hashBase, tenant, id));
      for (const r of this.#getDocs.all(JSON.stringify([...hashes.values()]), tenant)) {
        if (!hashes.has(r.id)) continue;
        docs.set(r.id, toDoc(r));
        read.set(r.id, [r.rowid, r.seq]);
      }
    }
    return { loaded: { known, hashes: contentHashes, owners, docs }, read, hashes };
  }

  /** One stored document by id (the same lookup as a push's). */
  getDoc(tenant: string, id: string): StoredDoc | undefined {
    for (const r of this.#getDocs.all(JSON.stringify([docKeyHash(this.#hashBase, tenant, id)]), tenant))
      if (r.id === id) return toDoc(r);
    return undefined;
  }

  /** The writer thread's form of a plan: rows in write order with what was read for each. */
  toWrite(req: CommitRequest, r: PlanRead, out: CommitPlan): WritePush {
    const docs: WritePush['docs'] = [];
    for (const d of out.docs) {
      const [rowid, seq] = r.read.get(d.id) ?? [0, 0];
      const h = r.hashes.get(d.id) ?? docKeyHash(this.#hashBase, req.tenant, d.id);
      docs.push(rowid, seq, d.id, h, d.type, d.deleted ? 1 : 0, d.state, d.view);
    }
    const changes: string[] = [];
    for (const c of out.changes) changes.push(c.id, c.doc, c.hash ?? '');
    const binds: string[] = [];
    for (const b of out.bind ?? []) binds.push(b.replica, b.user);
    return { tenant: req.tenant, docs, changes, binds };
  }
}

/**
 * Throws unless `out` writes only what `req` asked for and `loaded` did not hold already: the
 * writer verifies exactly what was read, so anything else would be written unchecked.
 */
export function checkPlan(req: CommitRequest, loaded: LoadedState, out: CommitPlan): void {
  const askedDocs = new Set(req.docIds);
  const askedChanges = new Set(req.changeIds);
  for (const d of out.docs)
    if (!askedDocs.has(d.id)) throw new Error(`plan wrote document "${d.id}" that was not in the request`);
  for (const c of out.changes) {
    if (!askedChanges.has(c.id) || loaded.known.has(c.id))
      throw new Error(`plan wrote change "${c.id}" that was not requested or is already stored`);
  }
  const askedReplicas = new Set(req.replicas ?? []);
  for (const b of out.bind ?? [])
    if (!askedReplicas.has(b.replica) || loaded.owners.has(b.replica))
      throw new Error(`plan bound replica "${b.replica}" that was not requested or is already bound`);
}
