import {
  SchemaError,
  TypeRegistry as CoreTypeRegistry,
  docFromJSON,
  docToJSON,
  materialize,
  typeHash,
  validateMigration,
  validateType,
  type TypeDef,
} from '@fieldsync/core';
import { ALL_TENANTS, type StorageEngine, type StoredDoc } from '../storage/StorageEngine.js';
import { DomainError } from './DomainError.js';
import { TYPES_COLLECTION } from './renderDelta.js';

/**
 * Storage id of one type definition inside the `_types` system collection: one immutable row per
 * (name, version, definition hash), so every version and every concurrent definition is kept.
 */
export const typeDocId = (def: TypeDef): string =>
  `${TYPES_COLLECTION}/${def.name}/${def.version}/${typeHash(def)}`;

const schemaRefusal = (e: unknown, code: 'invalid_type' | 'invalid_migration'): unknown =>
  e instanceof SchemaError ? new DomainError(code, e.message, e.path || undefined, e.rule) : e;

/**
 * The server's view of each tenant's types: a core `TypeRegistry` (the same deterministic pick
 * among concurrent definitions and the same upgrade/translation code as every client — the
 * server has no migration logic of its own) filled from the tenant's `_types` rows plus the
 * server-configured static types.
 *
 * Types are data: rows of `_types` are stored and sequenced like documents. The server upgrades
 * a document only to versions whose row it has committed, so in cursor order a type version
 * always precedes every document written at it (docs/protocol.md, "Types").
 */
export class TypeRegistry {
  readonly #storage: StorageEngine;
  readonly #static: readonly TypeDef[];
  readonly #cache = new Map<string, Promise<CoreTypeRegistry>>();

  constructor(storage: StorageEngine, staticTypes: readonly TypeDef[] = []) {
    this.#storage = storage;
    for (const t of staticTypes) validateType(t);
    this.#static = [...staticTypes].sort((a, b) => a.version - b.version);
    // Another process (PostgreSQL) may have defined a type: a remote batch clears the cache.
    storage.onCommit((b) => {
      if (b.tenant === ALL_TENANTS) this.#cache.clear();
      else if (!b.docs || b.docs.some((d) => d.type === TYPES_COLLECTION)) this.#cache.delete(b.tenant);
    });
  }

  /** The tenant's registry (cached until a `_types` row of the tenant is written). */
  registry(tenant: string): Promise<CoreTypeRegistry> {
    let r = this.#cache.get(tenant);
    if (!r) {
      r = this.#load(tenant);
      this.#cache.set(tenant, r);
      r.catch(() => this.#cache.delete(tenant));
    }
    return r;
  }

  /** The latest chosen definition of a type, or undefined. */
  async get(tenant: string, name: string): Promise<TypeDef | undefined> {
    return (await this.registry(tenant)).get(name);
  }

  async #load(tenant: string): Promise<CoreTypeRegistry> {
    const reg = new CoreTypeRegistry();
    const defs: TypeDef[] = [...this.#static];
    await this.#eachOfType(tenant, TYPES_COLLECTION, (row) => defs.push(JSON.parse(row.state) as TypeDef));
    defs.sort((a, b) => a.version - b.version);
    for (const d of defs) {
      try {
        reg.add(d);
      } catch {
        // A row that is no valid successor of the chosen chain (built on a losing concurrent
        // definition) stays stored and delivered, but cannot be chosen.
      }
    }
    return reg;
  }

  /**
   * Stores a type version. Identical to a known definition: no-op (`changed: false`, allowed
   * for everyone). Otherwise the caller needs the define-types right, and the definition must be
   * version 1 of a new name without migrations, or the version after a known one whose migration
   * steps produce exactly its fields. A different definition of the newest version (two offline clients both
   * made version n) is kept: core picks one deterministically everywhere, and when the pick
   * changes, stored documents at that version are re-expressed in the new choice in the same
   * transaction.
   */
  async define(
    tenant: string,
    raw: unknown,
    mayDefine: boolean,
  ): Promise<{ cursor: number; changed: boolean }> {
    try {
      validateType(raw as TypeDef);
    } catch (e) {
      throw schemaRefusal(e, 'invalid_type');
    }
    const def = raw as TypeDef;
    if (def.name.startsWith('_'))
      throw new DomainError('reserved_type', `type names starting with "_" are reserved`, 'name', 'reserved');
    let reg = await this.registry(tenant);
    if (reg.byTypeHash(typeHash(def)))
      return { cursor: await this.#storage.tenantHead(tenant), changed: false };
    if (!mayDefine) throw new DomainError('forbidden', 'you may not define or change types');
    const latest = reg.get(def.name);
    if (def.version === 1) {
      if (def.migrations?.length)
        throw new DomainError(
          'invalid_migration',
          'version 1 has no migrations',
          'migrations',
          'first-version',
        );
      if (latest) {
        throw new DomainError(
          'type_version',
          `type "${def.name}" already exists (version ${latest.version}); change it with a migration to version ${latest.version + 1}`,
          'version',
          'version-order',
        );
      }
    } else {
      const prev = reg.get(def.name, def.version - 1);
      if (!prev) {
        throw new DomainError(
          'type_version',
          `type "${def.name}" has no version ${def.version - 1} here (latest: ${latest?.version ?? 'none'}); define versions in order`,
          'version',
          'version-order',
        );
      }
      try {
        validateMigration(prev, def);
      } catch (e) {
        throw schemaRefusal(e, 'invalid_migration');
      }
    }
    if (latest && def.version < latest.version) {
      throw new DomainError(
        'type_version',
        `type "${def.name}" is already at version ${latest.version}; version ${def.version} cannot be redefined`,
        'version',
        'version-order',
      );
    }
    const before = latest && latest.version === def.version ? latest : undefined;
    // A concurrent definition may win the deterministic pick: find the documents to rebase.
    const trial = await this.#load(tenant);
    trial.add(def);
    const after = trial.get(def.name, def.version);
    const rebase =
      before && after && typeHash(after) !== typeHash(before) ? await this.#docIds(tenant, def.name) : [];
    const id = typeDocId(def);
    // The versions below it, when they are server-configured types rather than rows, are written
    // as rows first: a device must be able to receive the whole chain from the log.
    const below = def.version > 1 ? trial.path(def.name, 0, def.version - 1) : [];
    const rows = [...below, def].map((d) => ({ id: typeDocId(d), json: JSON.stringify(d) }));
    const res = await this.#storage.commit(
      { tenant, changeIds: [], docIds: [...rows.map((r) => r.id), ...rebase] },
      (loaded) => {
        if (loaded.docs.has(id)) return { docs: [], changes: [] };
        const docs = rows
          .filter((r) => !loaded.docs.has(r.id))
          .map((r) => ({ id: r.id, type: TYPES_COLLECTION, deleted: false, state: r.json, view: r.json }));
        for (const docId of rebase) {
          const row = loaded.docs.get(docId);
          if (!row || !before) continue;
          const state = docFromJSON(JSON.parse(row.state));
          if (state.v !== def.version) continue;
          const next = trial.rebaseDoc(state, before);
          const view = JSON.stringify(materialize(next, trial.get(def.name, next.v)));
          docs.push({
            id: docId,
            type: row.type,
            deleted: row.deleted,
            state: JSON.stringify(docToJSON(next)),
            view,
          });
        }
        return { docs, changes: [] };
      },
    );
    this.#cache.delete(tenant);
    reg = await this.registry(tenant);
    return { cursor: res.cursor, changed: reg.byTypeHash(typeHash(def)) !== undefined };
  }

  /** Ids of the tenant's stored documents of one type (read before a rebase transaction). */
  async #docIds(tenant: string, type: string): Promise<string[]> {
    const ids: string[] = [];
    await this.#eachOfType(tenant, type, (row) => ids.push(row.id));
    return ids;
  }

  /** Visits every stored row of one type of the tenant, in sequence order. */
  async #eachOfType(tenant: string, type: string, visit: (row: StoredDoc) => void): Promise<void> {
    for (let since = 0; ;) {
      const page = await this.#storage.pull(tenant, { since, limit: 5000, types: [type] });
      for (const row of page.docs) if (row.type === type) visit(row);
      if (!page.more) break;
      since = page.cursor;
    }
  }
}
