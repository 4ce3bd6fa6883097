import type { DocState, Intent, TypeDef } from '@fieldsync/core';
import { Text, toBase64 } from '@fieldsync/core';
import { ModifierError } from '../query/errors.js';
import { NotFoundError } from './errors.js';
import type { WritePromise } from '../syncstate/WritePromise.js';

/**
 * What a text field needs from its collection: the stored states, whether the document is live,
 * and the collection's one write path (bound to the collection, so this file need not know it).
 */
export interface TextFieldHost {
  readonly name: string;
  readonly states: ReadonlyMap<string, DocState>;
  readonly docs: ReadonlyMap<string, unknown>;
  readonly replicaId: string;
  typeOf(collection: string): TypeDef;
  upgrade(state: DocState): DocState;
  write(id: string, intents: Intent[]): void;
  /** Writes the edit `build` makes from the current state (rebuilt if a follower tab's copy was stale). */
  writeSeq(id: string, build: () => Intent[]): Promise<void>;
  durable(): Promise<void>;
  track<T>(run: () => Promise<T>): WritePromise<T>;
}

/**
 * A collaborative text field of one document. Edits are made on a scratch copy of the field's
 * `Text`, turned into a `seq` intent (the delta since the copy's version) and written through
 * the database's single write path, so they reach the outbox, storage and live queries like any
 * other write, and concurrent edits from other devices merge character by character.
 */
export class TextField {
  constructor(
    private readonly host: TextFieldHost,
    readonly id: string,
    readonly field: string,
  ) {
    const def = host.typeOf(host.name).fields[field];
    if (def?.type !== 'text') throw new ModifierError(`"${field}" is not a text field`, field);
  }

  toString(): string {
    return this.state()?.toString() ?? '';
  }

  get length(): number {
    return this.state()?.length ?? 0;
  }

  /** Inserts `text` at `index` (UTF-16 offsets, like JavaScript strings). */
  insert(index: number, text: string): WritePromise<void> {
    return this.host.track(() => this.edit((t) => t.insert(index, text)));
  }

  /** Deletes `length` characters from `index`. */
  delete(index: number, length: number): WritePromise<void> {
    return this.host.track(() => this.edit((t) => t.delete(index, length)));
  }

  private state(): Text | undefined {
    const doc: DocState | undefined = this.host.states.get(this.id);
    if (!doc || !this.host.docs.has(this.id)) throw new NotFoundError(this.host.name, this.id);
    // A document not written since a migration is still stored at its old version (a renamed
    // text field under its old name): edit positions must refer to the upgraded text.
    const t = this.host.upgrade(doc).fields[this.field];
    return t instanceof Text ? t : undefined;
  }

  private async edit(apply: (t: Text) => void): Promise<void> {
    await this.host.writeSeq(this.id, () => {
      const current = this.state();
      const scratch = current
        ? Text.decode(current.encode(), this.host.replicaId)
        : new Text(this.host.replicaId);
      const version = scratch.version;
      apply(scratch); // a bad index throws here, before anything is written
      return [{ op: 'seq', path: [this.field], update: toBase64(scratch.encodeSince(version)) }];
    });
  }
}
