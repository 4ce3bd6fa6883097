import type { DocState, MigrationStep, TypeDef } from '@fieldsync/core';
import { materialize, SchemaError, validateType } from '@fieldsync/core';
import type { SyncClient } from '../sync/SyncClient.js';
import type { Collections } from './Collections.js';
import type { CommitQueue } from './CommitQueue.js';
import type { Outbox } from './Outbox.js';
import type { TypeStore } from './TypeStore.js';

export const META_TYPES = 'types';

/** What type sync needs from the rest of the database. */
export interface TypeSyncHost {
  readonly queue: CommitQueue;
  readonly outbox: Outbox;
  readonly collections: Collections;
  readonly types: TypeStore;
  /** The sync client, if any (discarding a refused type restores documents from the server). */
  sync(): SyncClient | undefined;
  /** Replaces documents by the server's states, re-applying local changes (`RemoteMerge.resetDocs`). */
  resetDocs(ids: readonly string[], serverDocs: readonly unknown[], typeHint?: string): void;
}

/**
 * The types side of the database: local definitions and migrations, definitions received from
 * the server or another tab, how a stored document is shown at the newest version of its type
 * (lazy upgrade), and re-materializing a collection when its type changes. Persisted in meta
 * `types` (the `TypeStore`, `db.types`).
 */
export class TypeSync {
  constructor(private readonly host: TypeSyncHost) {}

  /** Registers a definition (see `Database.defineType`); true if it was new. */
  define(type: TypeDef): void {
    if (this.host.types.define(type)) this.changed([type.name]);
  }

  migrate(name: string, steps: MigrationStep[]): TypeDef {
    const next = this.host.types.migrate(name, steps);
    this.changed([name]);
    return next;
  }

  /** Definitions received from the server: validated, then adopted (see `Database.applyTypes`). */
  receive(types: readonly unknown[]): void {
    for (const t of types) validateType(t as TypeDef);
    this.adopt(this.host.types.receive(types));
  }

  /** Definitions another tab persisted (meta `types` of its commit). */
  absorb(json: string): void {
    this.adopt(this.host.types.absorb(json));
  }

  /** The server's answer to a pushed definition (`error` = refused for good). */
  pushed(def: TypeDef, error?: string): void {
    if (error === undefined) this.host.types.accepted(def);
    else this.host.types.rejected(def, error);
    this.persist();
  }

  /** Drops a refused local version of `name` and what was written at it (see `Database.discardLocalType`). */
  async discardLocal(name: string, stillOpen: () => void): Promise<number> {
    const { types, outbox, collections } = this.host;
    const refused = types.rejectedTypes().filter((r) => r.def.name === name);
    if (refused.length === 0) throw new Error(`no refused version of type "${name}" to discard`);
    const from = Math.min(...refused.map((r) => r.def.version));
    const sync = this.host.sync();
    if (!sync) throw new Error('discarding a local type needs a sync server to restore documents from');
    const atDropped = (c: { type: string; v: number }): boolean => c.type === name && c.v >= from;
    const docIds = new Set(outbox.where(atDropped).map((c) => c.doc));
    for (const [id, state] of collections.find(name)?.states ?? []) if (state.v >= from) docIds.add(id);
    const fetched = docIds.size > 0 ? await sync.fetchDocs([...docIds]) : { docs: [] };
    stillOpen();
    // Everything below is synchronous: one storage batch, no reader sees a half-dropped type.
    const dropped = outbox.where(atDropped);
    for (const c of dropped) outbox.discard(c.id);
    types.dropRefused(name);
    this.persist();
    this.host.resetDocs([...docIds], fetched.docs, name);
    this.changed([name]);
    return dropped.length;
  }

  /** The collection's type; a `SchemaError` when none is defined (writes need one). */
  typeOf(name: string): TypeDef {
    const t = this.host.types.get(name);
    if (!t)
      throw new SchemaError('', 'unknown-type', `no type "${name}" is defined; call db.defineType first`);
    return t;
  }

  typeFor(name: string): TypeDef | undefined {
    return this.host.types.get(name);
  }

  /**
   * The document as readers see it — lazily upgraded to the newest known version of its type
   * (the stored state is left as it is until the next write persists the upgrade).
   */
  view(state: DocState): Record<string, unknown> {
    const type = this.host.types.get(state.type);
    return materialize(this.upgradeTo(state, type), type);
  }

  /** `state` at the newest known version of its type (unchanged when already there or unknown). */
  upgrade(state: DocState): DocState {
    return this.upgradeTo(state, this.host.types.get(state.type));
  }

  /** `state` upgraded to `type` (its newest known definition) when older; as is otherwise. Pure. */
  upgradeTo(state: DocState, type: TypeDef | undefined): DocState {
    return type && state.v < type.version ? this.host.types.registry.upgradeDoc(state) : state;
  }

  /** Queues the type store for the next storage batch. */
  persist(): void {
    this.host.queue.setMeta(META_TYPES, this.host.types.toJSON());
  }

  /** Rebases documents whose chosen definition was replaced, persists, re-materializes. */
  private adopt({ changed, replaced }: ReturnType<TypeStore['receive']>): void {
    const { collections, types, queue } = this.host;
    collections.batch(() => {
      for (const r of replaced) {
        const c = collections.find(r.name);
        if (!c) continue;
        for (const [id, state] of [...c.states]) {
          if (state.v !== r.version) continue;
          c.applyState(id, types.registry.rebaseDoc(state, r.from));
          queue.putDoc(c.name, id);
        }
      }
    });
    if (changed.size > 0) this.changed([...changed]);
  }

  /** Persists the type store and re-materializes the collections of `names` at their new versions. */
  private changed(names: readonly string[]): void {
    this.persist();
    this.host.collections.batch(() => {
      for (const n of names) this.host.collections.find(n)?.rematerialize();
    });
  }
}
