import type { DocState } from '@fieldsync/core';
import { Text, toBase64 } from '@fieldsync/core';
import { ModifierError } from '../query/errors.js';
import type { Collection, WriteHost } from './Collection.js';
import { NotFoundError } from './errors.js';

/**
 * A collaborative text field of one document. Edits are made on a scratch copy of the field's
 * `Text`, turned into a `seq` intent (the delta since the copy's version) and written through
 * the database's single write path, so they reach the outbox, storage and live queries like any
 * other write, and concurrent edits from other devices merge character by character.
 */
export class TextField {
  constructor(
    private readonly collection: Collection,
    private readonly host: WriteHost,
    readonly id: string,
    readonly field: string,
  ) {
    const def = host.typeOf(collection.name).fields[field];
    if (def?.type !== 'text') throw new ModifierError(`"${field}" is not a text field`, field);
  }

  toString(): string {
    return this.state()?.toString() ?? '';
  }

  get length(): number {
    return this.state()?.length ?? 0;
  }

  /** Inserts `text` at `index` (UTF-16 offsets, like JavaScript strings). */
  insert(index: number, text: string): Promise<void> {
    return this.edit((t) => t.insert(index, text));
  }

  /** Deletes `length` characters from `index`. */
  delete(index: number, length: number): Promise<void> {
    return this.edit((t) => t.delete(index, length));
  }

  private state(): Text | undefined {
    const doc: DocState | undefined = this.collection.states.get(this.id);
    if (!doc || !this.collection.docs.has(this.id)) throw new NotFoundError(this.collection.name, this.id);
    // A document not written since a migration is still stored at its old version (a renamed
    // text field under its old name): edit positions must refer to the upgraded text.
    const t = this.host.upgrade(doc).fields[this.field];
    return t instanceof Text ? t : undefined;
  }

  private async edit(apply: (t: Text) => void): Promise<void> {
    const current = this.state();
    const scratch = current ? Text.decode(current.encode(), this.host.replicaId) : new Text(this.host.replicaId);
    const version = scratch.version;
    apply(scratch); // a bad index throws here, before anything is written
    this.host.write(this.collection, this.id, [{ op: 'seq', path: [this.field], update: toBase64(scratch.encodeSince(version)) }]);
    await this.host.durable();
  }
}
