import { ValidationError } from '../errors.js';
import { textOps } from './content.js';
import { textCodec } from './contentCodec.js';
import { insertLocal } from './localEdits.js';
import { SequenceBase } from './SequenceBase.js';

/**
 * Collaborative plain text: a sequence CRDT over UTF-16 code units, so indices are ordinary
 * JavaScript string indices. Concurrent edits merge without loss and without interleaving two
 * people's typing at the same place (FugueMax ordering; see docs/crdt.md).
 */
export class Text extends SequenceBase<string> {
  /** `replicaId` identifies this writer; omit it for a random one (decoded copies need their own). */
  constructor(replicaId?: string) {
    super(replicaId, textOps, textCodec);
  }

  /** Restores a replica from {@link encode} bytes, writing as `replicaId` from now on. */
  static decode(bytes: Uint8Array, replicaId?: string): Text {
    const t = new Text(replicaId);
    t.applyUpdate(bytes);
    return t;
  }

  /** Inserts `text` so that it starts at `index` (0..length). */
  insert(index: number, text: string): void {
    if (typeof text !== 'string') throw new ValidationError('text', 'type', 'Text.insert takes a string');
    this.checkInsertIndex(index);
    if (text.length === 0) return;
    insertLocal(this.core, index, text, text.length);
    this.emit('local');
  }

  override toString(): string {
    return this.core.tree.visibleContents().join('');
  }

  toJSON(): string {
    return this.toString();
  }
}
