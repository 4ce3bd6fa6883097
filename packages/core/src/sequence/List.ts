import { listOps } from './content.js';
import { listCodec } from './contentCodec.js';
import { deleteLocal, insertLocal } from './localEdits.js';
import { SequenceBase } from './SequenceBase.js';
import { SequenceRangeError } from './SequenceRangeError.js';

/**
 * A collaborative ordered list of JSON values: the same sequence CRDT as {@link Text}, with one
 * item per value, plus {@link move}. Values are stored as given and encoded as JSON.
 */
export class List<T = unknown> extends SequenceBase<unknown[]> {
  constructor(replicaId?: string) {
    super(replicaId, listOps, listCodec);
  }

  /** Restores a replica from {@link encode} bytes, writing as `replicaId` from now on. */
  static decode<T = unknown>(bytes: Uint8Array, replicaId?: string): List<T> {
    const l = new List<T>(replicaId);
    l.applyUpdate(bytes);
    return l;
  }

  /** Inserts `values` so that the first lands at `index` (0..length). */
  insert(index: number, ...values: T[]): void {
    this.checkInsertIndex(index);
    if (values.length === 0) return;
    insertLocal(this.core, index, values.slice(), values.length);
    this.emit('local');
  }

  /** Appends `values` at the end. */
  push(...values: T[]): void {
    this.insert(this.length, ...values);
  }

  /** The value at `index`, or undefined outside the list. */
  get(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const { run, off } = this.core.itemAt(index);
    return (run.content as T[])[off];
  }

  /**
   * Moves the item at `from` so that it ends at index `to` of the resulting list. A move is a new
   * slot carrying the element's identity and a Lamport stamp; when replicas move the same element
   * concurrently, the highest stamp (then replica id) wins and the other slots are deleted on
   * every replica, so the element is never duplicated. A move concurrent with a delete of the
   * element keeps the element, at its moved place (the move saw it, the delete did not see the move).
   */
  move(from: number, to: number): void {
    const n = this.length;
    if (!Number.isInteger(from) || from < 0 || from >= n)
      throw new SequenceRangeError(`move source ${from} is outside 0..${n - 1}`, from, 1);
    if (!Number.isInteger(to) || to < 0 || to >= n)
      throw new SequenceRangeError(`move target ${to} is outside 0..${n - 1}`, to, 1);
    if (from === to) return;
    const core = this.core;
    const { run, off } = core.itemAt(from);
    const m = core.moveOf(run.entry);
    const meta = { ea: m ? m.ea : run.entry.agent, es: m ? m.es : run.seq + off, stamp: core.maxStamp + 1 };
    const value = (run.content as unknown[]).slice(off, off + 1);
    deleteLocal(core, from, 1);
    const seq = insertLocal(core, to, value, 1, meta);
    core.registerMove(core.me, seq, meta);
    this.emit('local');
  }

  toArray(): T[] {
    const out: T[] = [];
    const contents = this.core.tree.visibleContents();
    for (let i = 0; i < contents.length; i++) {
      const c = contents[i] as unknown[];
      for (let j = 0; j < c.length; j++) out.push(c[j] as T);
    }
    return out;
  }

  toJSON(): T[] {
    return this.toArray();
  }
}
