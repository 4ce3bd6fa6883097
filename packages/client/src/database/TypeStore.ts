import type { MigrationStep, TypeDef } from '@fieldsync/core';
import { migrateType, SchemaError, TypeRegistry, typeHash, validateType } from '@fieldsync/core';

/** A local definition the server refused (403 without the define-types right, 409, 422), with why. */
export interface RejectedType {
  def: TypeDef;
  reason: string;
}

/** Persisted form (one meta entry): every definition ever known, and which still need pushing. */
interface Persisted {
  defs: TypeDef[];
  pending: string[];
  rejected: Array<{ hash: string; reason: string }>;
}

/** Parses `TypeStore.toJSON` output; a plain array of definitions is the pre-migration format. */
function parsePersisted(json: string): Persisted {
  const raw = JSON.parse(json) as Persisted | TypeDef[];
  return Array.isArray(raw) ? { defs: raw, pending: [], rejected: [] } : raw;
}

/** A chosen definition that stopped being chosen when a concurrent one arrived (documents must be rebased). */
export interface Replaced {
  name: string;
  version: number;
  /** The definition local documents at `version` were expressed in. */
  from: TypeDef;
}

/**
 * The device's types: every version of every type, with their migrations, exactly as core's
 * `TypeRegistry` holds them (one deterministic pick among concurrent definitions, shared with
 * the server — no migration logic lives here). Exposed as `db.types`.
 *
 * Why a store and not a map of latest definitions: an offline device must be able to upgrade a
 * document or a change from ANY older version it holds, and translate work done under a
 * concurrent definition that lost, so it keeps the whole history. Definitions made on this device
 * are remembered as `pending` until the server accepted them (pushed before any change, so the
 * server knows a version before it sees changes written at it).
 */
export class TypeStore {
  #registry = new TypeRegistry();
  private readonly defs: TypeDef[] = [];
  private readonly pendingHashes = new Set<string>();
  private readonly rejectedHashes = new Map<string, string>();
  private readonly listeners = new Set<(types: readonly TypeDef[]) => void>();
  private readonly localListeners = new Set<() => void>();
  /** Latest chosen definition per name (the read/write hot path asks this per document). */
  private readonly latestByName = new Map<string, TypeDef>();

  /** Core's registry of every known version (replaced when local versions are dropped). */
  get registry(): TypeRegistry {
    return this.#registry;
  }

  /**
   * Drops the versions of `name` made on this device that the server refused, and every local
   * (not yet accepted) version built on them; returns the first dropped version, or undefined
   * when no version of `name` was refused. The registry is rebuilt from what remains.
   */
  dropRefused(name: string): number | undefined {
    const refused = this.defs.filter((d) => d.name === name && this.rejectedHashes.has(typeHash(d)));
    if (refused.length === 0) return undefined;
    const from = Math.min(...refused.map((d) => d.version));
    const local = (d: TypeDef): boolean =>
      this.rejectedHashes.has(typeHash(d)) || this.pendingHashes.has(typeHash(d));
    const drop = this.defs.filter((d) => d.name === name && d.version >= from && local(d));
    for (const d of drop) {
      this.rejectedHashes.delete(typeHash(d));
      this.pendingHashes.delete(typeHash(d));
    }
    const keep = this.defs.filter((d) => !drop.includes(d));
    this.defs.length = 0;
    this.#registry = new TypeRegistry();
    for (const d of [...keep].sort((a, b) => a.version - b.version)) this.addQuiet(d);
    this.refresh();
    return from;
  }

  /** Restores the persisted JSON (`toJSON`, or the pre-migration plain array of definitions). */
  load(json: string | undefined): void {
    if (!json) return;
    const p = parsePersisted(json);
    for (const d of [...p.defs].sort((a, b) => a.version - b.version)) this.addQuiet(d);
    for (const h of p.pending) this.pendingHashes.add(h);
    for (const r of p.rejected) this.rejectedHashes.set(r.hash, r.reason);
    this.refresh();
  }

  toJSON(): string {
    const p: Persisted = {
      defs: this.defs,
      pending: [...this.pendingHashes],
      rejected: [...this.rejectedHashes].map(([hash, reason]) => ({ hash, reason })),
    };
    return JSON.stringify(p);
  }

  /** The latest chosen definition of each type, sorted by name. */
  list(): TypeDef[] {
    return [...this.latestByName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The latest chosen definition of `name`, or of one version. */
  get(name: string, version?: number): TypeDef | undefined {
    return version === undefined ? this.latestByName.get(name) : this.registry.get(name, version);
  }

  /** Every version of `name` (the chosen chain), oldest first. */
  history(name: string): TypeDef[] {
    const latest = this.latestByName.get(name);
    return latest ? this.registry.path(name, 0, latest.version) : [];
  }

  /** Calls `fn` now and whenever the list changes; returns the unsubscribe function. */
  subscribe(fn: (types: readonly TypeDef[]) => void): () => void {
    this.listeners.add(fn);
    fn(this.list());
    return () => this.listeners.delete(fn);
  }

  /**
   * A definition made on this device. Version 1 of a new name, an identical re-definition (no-op,
   * returns false), or a valid successor of the latest version; anything else throws `SchemaError`
   * with the offending path and rule (`version-gap`, `migration`, …).
   */
  define(def: TypeDef): boolean {
    validateType(def);
    const h = typeHash(def);
    if (this.registry.byTypeHash(h)) return false;
    const latest = this.latestByName.get(def.name);
    if (latest && def.version !== latest.version + 1) {
      throw new SchemaError(
        'version',
        'version-gap',
        `type "${def.name}" is at version ${latest.version}; a new definition must be version ${latest.version + 1} (use db.migrateType)`,
      );
    }
    if (!latest && def.version !== 1) {
      throw new SchemaError(
        'version',
        'version-gap',
        `type "${def.name}" is not known here; its first definition must be version 1`,
      );
    }
    this.registry.add(def); // validates the migration from the latest version
    this.defs.push(def);
    this.pendingHashes.add(h);
    this.refresh();
    for (const l of this.localListeners) l();
    return true;
  }

  /** Builds, checks and defines the next version of `name` from declarative steps. */
  migrate(name: string, steps: MigrationStep[]): TypeDef {
    const prev = this.latestByName.get(name);
    if (!prev)
      throw new SchemaError('name', 'unknown-type', `no type "${name}" is defined; call db.defineType first`);
    if (!Array.isArray(steps) || steps.length === 0)
      throw new SchemaError('migrations', 'migration', 'a migration needs at least one step');
    const next = migrateType(prev, steps);
    this.define(next);
    return next;
  }

  /**
   * Definitions received from the server. Invalid ones are skipped (returned in `invalid`) so one
   * bad row can never wedge sync. Reports the names whose chosen chain changed and the chosen
   * definitions that were replaced by a concurrent one (their documents need `rebaseDoc`).
   */
  receive(defs: readonly unknown[]): { changed: Set<string>; replaced: Replaced[]; invalid: unknown[] } {
    const changed = new Set<string>();
    const invalid: unknown[] = [];
    const before = new Map<string, TypeDef[]>();
    const sorted = [...defs].sort((a, b) => ((a as TypeDef).version ?? 0) - ((b as TypeDef).version ?? 0));
    for (const raw of sorted) {
      const def = raw as TypeDef;
      try {
        validateType(def);
        const h = typeHash(def);
        this.pendingHashes.delete(h); // the server has it
        if (this.registry.byTypeHash(h)) continue;
        if (!before.has(def.name)) before.set(def.name, this.history(def.name));
        this.addQuiet(def);
        changed.add(def.name);
      } catch {
        invalid.push(raw);
      }
    }
    const replaced: Replaced[] = [];
    for (const [name, old] of before) {
      for (const from of old) {
        const now = this.registry.get(name, from.version);
        if (now && typeHash(now) !== typeHash(from)) {
          replaced.push({ name, version: from.version, from });
          break;
        }
      }
    }
    if (changed.size > 0) this.refresh();
    return { changed, replaced, invalid };
  }

  /** Calls `fn` when a definition is made on this device (the sync client pushes it). */
  onLocalDefine(fn: () => void): () => void {
    this.localListeners.add(fn);
    return () => this.localListeners.delete(fn);
  }

  /**
   * Another tab of the same database persisted its type store (`toJSON`): adopt its definitions
   * like received ones, and keep its pending/rejected marks so a definition made in that tab is
   * still pushed if that tab closes first.
   */
  absorb(json: string): ReturnType<TypeStore['receive']> {
    const p = parsePersisted(json);
    const result = this.receive(p.defs);
    let added = false;
    for (const h of p.pending) {
      if (!this.registry.byTypeHash(h) || this.pendingHashes.has(h)) continue;
      this.pendingHashes.add(h);
      added = true;
    }
    for (const r of p.rejected) this.rejectedHashes.set(r.hash, r.reason);
    // Made on this device, in another tab: the tab that syncs (the leader) must push it now,
    // not only with the next record write.
    if (added) for (const l of this.localListeners) l();
    return result;
  }

  /** Local definitions the server has not accepted yet, oldest version first. */
  pending(): TypeDef[] {
    return this.defs.filter((d) => this.pendingHashes.has(typeHash(d))).sort((a, b) => a.version - b.version);
  }

  /** The server accepted (or already had) this definition. */
  accepted(def: TypeDef): void {
    this.pendingHashes.delete(typeHash(def));
  }

  /** The server refused this definition for good: set aside with the reason (never retried). */
  rejected(def: TypeDef, reason: string): void {
    const h = typeHash(def);
    this.pendingHashes.delete(h);
    this.rejectedHashes.set(h, reason);
  }

  /** Local definitions the server refused, with reasons. */
  rejectedTypes(): RejectedType[] {
    return this.defs.flatMap((def) => {
      const reason = this.rejectedHashes.get(typeHash(def));
      return reason === undefined ? [] : [{ def, reason }];
    });
  }

  /** Adds without notifying. Throws `SchemaError` for an invalid definition or successor. */
  private addQuiet(def: TypeDef): void {
    if (this.registry.add(def)) this.defs.push(def);
  }

  private refresh(): void {
    this.latestByName.clear();
    for (const d of this.defs) {
      if (this.latestByName.has(d.name)) continue;
      const latest = this.registry.get(d.name);
      if (latest) this.latestByName.set(d.name, latest);
    }
    const list = this.list();
    for (const l of this.listeners) l(list);
  }
}
