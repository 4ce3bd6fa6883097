import { applyChange } from '../change/applyChange.js';
import type { Change } from '../change/change.js';
import type { DocState } from '../document/docState.js';
import { SchemaError } from '../errors.js';
import { validateMigration } from './migration.js';
import type { TypeDef } from './typeDef.js';
import { typeHash } from './typeHash.js';
import { typeJson } from './typeJson.js';
import { translateChangeOps, translateDocState, upgradeChangeOps, upgradeDocState } from './upgrade.js';
import { validateType } from './validateType.js';

/**
 * All known versions of all types, and the upgrades between them. Types and migrations are data
 * that sync like records and may arrive in any order; the registry keeps every definition it
 * receives.
 *
 * Concurrent definitions: migrations are identified by (type, version) and immutable, but two
 * offline clients can both define version n+1 (say, one renames `notes` to `findings`, the other
 * to `remarks`). Every replica then picks the same one: among the definitions of a version that
 * are valid successors of the chosen previous version, the one with the smallest canonical JSON
 * (`typeJson`: field order counts).
 * Changes record the hash of the definition they were written under (`th`), so a change written
 * under the losing definition is translated (its steps undone, the winner's applied, anything
 * that does not fit kept hidden); documents upgraded under it are rebased with `rebaseDoc`.
 */
export class TypeRegistry {
  private readonly byName = new Map<string, Map<number, TypeDef[]>>();
  private readonly byHash = new Map<string, TypeDef>();
  /** Chosen chain per type name, rebuilt after `add`. */
  private readonly chains = new Map<string, TypeDef[]>();

  /**
   * Adds a definition. It must be a valid type and, if the version before it is known, a valid
   * successor of it (`validateMigration`; throws `SchemaError` naming the step). A version that
   * arrives before its predecessor is kept and checked when the chain is built. Returns false if
   * this exact definition is already known.
   */
  add(def: TypeDef): boolean {
    validateType(def);
    if (def.version === 1 && def.migrations !== undefined && def.migrations.length > 0) {
      throw new SchemaError('migrations', 'migration', 'version 1 has no migrations');
    }
    const prev = def.version > 1 ? this.get(def.name, def.version - 1) : undefined;
    if (prev !== undefined) validateMigration(prev, def);
    const h = typeHash(def);
    if (this.byHash.has(h)) return false;
    this.byHash.set(h, def);
    let versions = this.byName.get(def.name);
    if (!versions) this.byName.set(def.name, (versions = new Map()));
    const list = versions.get(def.version) ?? [];
    list.push(def);
    versions.set(def.version, list);
    this.chains.delete(def.name);
    return true;
  }

  /** The chosen definition of `name` at `version` (default: the latest chosen), or undefined. */
  get(name: string, version?: number): TypeDef | undefined {
    const chain = this.chain(name);
    return version === undefined ? chain[chain.length - 1] : chain[version - 1];
  }

  /** The chosen definitions of versions 1, 2, ... as far as they are contiguous and valid. */
  private chain(name: string): TypeDef[] {
    const cached = this.chains.get(name);
    if (cached) return cached;
    const chain: TypeDef[] = [];
    const versions = this.byName.get(name);
    for (let v = 1; versions?.has(v); v++) {
      const prev = chain[v - 2];
      const candidates = (versions.get(v) as TypeDef[]).filter((c) =>
        prev === undefined ? !c.migrations?.length : validSuccessor(prev, c),
      );
      if (candidates.length === 0) break;
      candidates.sort((a, b) => (typeJson(a) < typeJson(b) ? -1 : 1));
      chain.push(candidates[0] as TypeDef);
    }
    this.chains.set(name, chain);
    return chain;
  }

  /** The definition with this hash (chosen or not). */
  byTypeHash(hash: string): TypeDef | undefined {
    return this.byHash.get(hash);
  }

  /** Chosen definitions of versions `from + 1 .. to`; throws `SchemaError` (`version-gap`) if one is missing. */
  path(name: string, from: number, to: number): TypeDef[] {
    const out: TypeDef[] = [];
    for (let v = from + 1; v <= to; v++) {
      const def = this.get(name, v);
      if (!def) throw new SchemaError('version', 'version-gap', `${name} version ${v} is not known here`);
      out.push(def);
    }
    return out;
  }

  /** Upgrades a document to version `to` (default: latest). Pure; lazily called when a document is read. */
  upgradeDoc(doc: DocState, to?: number): DocState {
    const target = to ?? this.latestVersion(doc.type);
    if (doc.v >= target) return doc;
    return upgradeDocState(doc, this.path(doc.type, doc.v, target));
  }

  /** Translates a change written under a losing definition, then upgrades it to version `to` (default: latest). */
  upgradeChange(change: Change, to?: number): Change {
    let c = change;
    if (c.th !== undefined) {
      const writtenUnder = this.byHash.get(c.th);
      const chosen = this.get(c.type, c.v);
      if (writtenUnder && chosen && writtenUnder !== chosen && writtenUnder.version === c.v)
        c = translateChangeOps(c, writtenUnder, chosen);
    }
    const target = to ?? this.latestVersion(c.type);
    if (c.v >= target) return c;
    const out = upgradeChangeOps(c, this.path(c.type, c.v, target));
    const def = this.get(c.type, target);
    if (def) out.th = typeHash(def);
    return out;
  }

  /**
   * Re-expresses a document that was upgraded under definition `writtenUnder` (e.g. this
   * client's own migration that lost to a concurrent one) in terms of the chosen definition.
   */
  rebaseDoc(doc: DocState, writtenUnder: TypeDef): DocState {
    const chosen = this.get(writtenUnder.name, writtenUnder.version);
    if (!chosen || chosen === writtenUnder || typeHash(chosen) === typeHash(writtenUnder)) return doc;
    return translateDocState(doc, writtenUnder, chosen);
  }

  /**
   * Applies a change of any known version: translates and upgrades it, upgrades the document to
   * the same version, validates against the chosen definition, applies. Offline edits made at an
   * old version land in renamed fields instead of being dropped. Pure, like core's `applyChange`:
   * `doc` is left unchanged.
   */
  applyChange(doc: DocState | undefined, change: Change): DocState {
    const latest = this.latestVersion(change.type);
    const target = Math.max(latest, doc?.v ?? 0);
    const c = this.upgradeChange(change, target);
    const d = doc === undefined ? undefined : this.upgradeDoc(doc, target);
    const type = this.get(change.type, target);
    return applyChange(d, c, type);
  }

  private latestVersion(name: string): number {
    const def = this.get(name);
    if (!def) throw new SchemaError('type', 'unknown-type', `type ${name} is not known here`);
    return def.version;
  }
}

function validSuccessor(prev: TypeDef, next: TypeDef): boolean {
  try {
    validateMigration(prev, next);
    return true;
  } catch {
    return false;
  }
}
