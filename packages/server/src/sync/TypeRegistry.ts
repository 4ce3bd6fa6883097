import { SchemaError, validateType, type TypeDef } from '@fieldsync/core';
import { ALL_TENANTS, type StorageEngine } from '../storage/StorageEngine.js';
import { HttpError } from '../http/HttpError.js';
import { TYPES_COLLECTION } from './renderDelta.js';

/** Storage id of a type definition inside the `_types` system collection. */
export const typeDocId = (name: string): string => `${TYPES_COLLECTION}/${name}`;

/**
 * Type definitions the server validates changes against.
 *
 * Types are data: each tenant's definitions are rows of the `_types` system collection, stored
 * and sequenced like documents, so a pull or SSE stream delivers a type no later than (and, by
 * sequence order, before) the first record written against it. `static` types come from server
 * configuration and apply to every tenant (used when definitions are deployed with the server).
 */
export class TypeRegistry {
  readonly #storage: StorageEngine;
  readonly #static: ReadonlyMap<string, TypeDef>;
  readonly #cache = new Map<string, Map<string, TypeDef | null>>();

  constructor(storage: StorageEngine, staticTypes: readonly TypeDef[] = []) {
    this.#storage = storage;
    for (const t of staticTypes) validateType(t);
    this.#static = new Map(staticTypes.map((t) => [t.name, t] as const));
    // Another process (PostgreSQL) may have defined a type: a remote batch clears the cache.
    storage.onCommit((b) => {
      if (b.tenant === ALL_TENANTS) this.#cache.clear();
      else if (!b.docs || b.docs.some((d) => d.type === TYPES_COLLECTION)) this.#cache.delete(b.tenant);
    });
  }

  async get(tenant: string, name: string): Promise<TypeDef | undefined> {
    let t = this.#cache.get(tenant);
    if (!t) this.#cache.set(tenant, (t = new Map()));
    const hit = t.get(name);
    if (hit !== undefined) return hit ?? this.#static.get(name);
    const row = await this.#storage.getDoc(tenant, typeDocId(name));
    const def = row ? (JSON.parse(row.state) as TypeDef) : null;
    t.set(name, def);
    return def ?? this.#static.get(name);
  }

  /**
   * Stores a new type version. Same version and same content is an idempotent no-op; a lower
   * or equal version with different content is a 409 (versions only move forward).
   */
  async define(tenant: string, def: unknown): Promise<{ cursor: number; changed: boolean }> {
    try {
      validateType(def as TypeDef);
    } catch (e) {
      if (e instanceof SchemaError) throw new HttpError(422, 'invalid_type', e.message, e.path);
      throw e;
    }
    const type = def as TypeDef;
    if (type.name.startsWith('_')) throw new HttpError(422, 'reserved_type', `type names starting with "_" are reserved`, 'name');
    const id = typeDocId(type.name);
    const json = JSON.stringify(type);
    let changed = false;
    const res = await this.#storage.commit({ tenant, changeIds: [], docIds: [id] }, (loaded) => {
      const prev = loaded.docs.get(id);
      if (prev) {
        const old = JSON.parse(prev.state) as TypeDef;
        if (old.version === type.version && JSON.stringify(old) === json) return { docs: [], changes: [] };
        if (type.version <= old.version) {
          throw new HttpError(409, 'type_version', `type "${type.name}" is at version ${old.version}; a change needs version ${old.version + 1} or higher`, 'version');
        }
      }
      changed = true;
      return { docs: [{ id, type: TYPES_COLLECTION, deleted: false, state: json, view: json }], changes: [] };
    });
    this.#cache.delete(tenant);
    return { cursor: res.cursor, changed };
  }
}
