import { ValidationError } from '../errors.js';
import { createDocId } from '../ids.js';
import { applyRemote } from './applyRemote.js';
import { collectSince } from './collectSince.js';
import { compactedPast, mergeBase } from './compactedBase.js';
import { compactedUpdate } from './compactedUpdate.js';
import type { ContentOps } from './content.js';
import type { ContentCodec } from './contentCodec.js';
import { decodeUpdate, releaseOps } from './decodeUpdate.js';
import { encodeDelta } from './encodeDelta.js';
import { encodeUpdate } from './encodeUpdate.js';
import { LoadSink, remapOp } from './loadSink.js';
import { deleteLocal } from './localEdits.js';
import { SequenceCore } from './SequenceCore.js';
import { SequenceRangeError } from './SequenceRangeError.js';
import { checkUpdate } from './checkUpdate.js';
import type { Update, UpdateOp } from './updateOps.js';

/**
 * Which operations a replica has: for each replica id, how many ids (one per inserted or deleted
 * item) of that replica it has applied. Plain JSON, so it can be stored or sent as is.
 */
export type SequenceVersion = Record<string, number>;

/** Who caused a change: an edit on this replica, or an applied update / merge. */
export type SequenceChangeOrigin = 'local' | 'remote';

const REPLICA = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What {@link Text} and {@link List} share: the replica, sync (version, updates, merge),
 * deletion and change listeners. All state changes go through the engine after validation.
 */
export abstract class SequenceBase<C> {
  /** The engine; `undefined` while the state is still only `encoded` (see {@link loadLater}). */
  #core: SequenceCore<C> | undefined;
  /** Validated bytes not loaded yet: the whole state while `#core` is undefined. */
  #encoded: Uint8Array | undefined;
  /** The replica id; a random one is drawn when first needed. */
  #replica: string | undefined;
  private readonly codec: ContentCodec<C>;
  private readonly ops: ContentOps<C>;
  private listeners: Array<(origin: SequenceChangeOrigin) => void> = [];

  protected constructor(replicaId: string | undefined, ops: ContentOps<C>, codec: ContentCodec<C>) {
    if (replicaId !== undefined && (typeof replicaId !== 'string' || !REPLICA.test(replicaId)))
      throw new ValidationError('replicaId', 'format', 'replica ids are 1-64 characters of [A-Za-z0-9_-]');
    this.#replica = replicaId;
    this.codec = codec;
    this.ops = ops;
  }

  /**
   * @internal The engine, built from the bytes given to {@link loadLater} on first use. Every read
   * and write goes through here, so a state loaded later behaves exactly like one loaded at once.
   */
  protected get core(): SequenceCore<C> {
    const core = this.#core;
    if (core !== undefined) return core;
    const encoded = this.#encoded;
    if (encoded === undefined) return (this.#core = new SequenceCore(this.replicaId, this.ops));
    this.#encoded = undefined;
    this.load(encoded, false); // cannot throw: `loadLater` checked the bytes
    return this.#core as unknown as SequenceCore<C>;
  }

  /**
   * Makes this (new, empty) replica the state `bytes` encode, checked now and built when first
   * used: a document with a text field that is stored or shown but not edited (a pulled work
   * order's notes) never builds its engine. Corrupt or truncated bytes throw `DecodeError` here,
   * as {@link applyUpdate} would, and leave the replica empty. Until the state is built,
   * {@link encode} returns `bytes` as they are (no caller may modify them afterwards), and
   * {@link encodedIfUnloaded} gives them out.
   */
  loadLater(bytes: Uint8Array): void {
    if (this.#core !== undefined || this.#encoded !== undefined)
      throw new Error('loadLater: the replica is not new');
    checkUpdate(bytes, this.codec);
    this.#encoded = bytes;
  }

  /** The bytes of a state from {@link loadLater} that nobody has used yet, else undefined. */
  encodedIfUnloaded(): Uint8Array | undefined {
    return this.#encoded;
  }

  /** This replica's id; its edits are ordered against concurrent ones by it. */
  get replicaId(): string {
    return (this.#replica ??= createDocId());
  }

  /** Number of visible items (for text: UTF-16 code units, i.e. JavaScript string length). */
  get length(): number {
    return this.core.tree.length;
  }

  /**
   * What this replica has seen. Take it before local edits and pass it to {@link encodeSince}
   * to get exactly the update those edits produced (what a document change carries).
   */
  get version(): SequenceVersion {
    return this.core.version();
  }

  /** Deletes `length` items starting at `index`. */
  delete(index: number, length: number): void {
    const n = this.core.tree.length;
    if (!Number.isInteger(length) || length < 0)
      throw new SequenceRangeError(`delete length ${length} must be a non-negative integer`, index, length);
    if (!Number.isInteger(index) || index < 0 || index + length > n)
      throw new SequenceRangeError(`delete(${index}, ${length}) is outside 0..${n}`, index, length);
    if (length === 0) return;
    deleteLocal(this.core, index, length);
    this.emit('local');
  }

  /**
   * The whole state; {@link applyUpdate} on an empty replica (or `decode`) restores it. Small
   * results may be views into a shared buffer: use the view (`bytes`, `toBase64(bytes)`), and
   * copy with `bytes.slice()` before handing `bytes.buffer` to an API that takes whole buffers.
   */
  encode(): Uint8Array {
    return this.#encoded ?? this.encodeSince({});
  }

  /**
   * Only what a replica at `version` lacks, so sync and document changes carry deltas. An update
   * is a valid input for any replica: operations it already has are skipped.
   */
  encodeSince(version: Readonly<SequenceVersion>): Uint8Array {
    return (
      encodeDelta(this.core, version, this.codec) ??
      encodeUpdate(collectSince(this.core, version), this.core.names, this.codec)
    );
  }

  /**
   * Applies an update from {@link encode} / {@link encodeSince} of any replica, in any order and
   * any number of times (operations whose dependencies are missing wait inside the replica).
   * Corrupt or truncated bytes throw `DecodeError` and leave the replica unchanged.
   */
  applyUpdate(bytes: Uint8Array): void {
    // A new replica (the usual `decode`) loads without building an empty engine first.
    const fresh = this.#core === undefined && this.#encoded === undefined;
    if (fresh || this.core.isEmpty()) {
      this.load(bytes, true);
      return;
    }
    const { agents, update, pooled } = decodeUpdate(bytes, this.codec);
    let changed: boolean;
    try {
      const map = this.core.agentMap(agents);
      if (update.base) mergeBase(this.core, update.base, map);
      remap(update, map);
      changed = applyRemote(this.core, update);
    } finally {
      if (pooled) releaseOps();
    }
    if (changed) this.emit('remote');
  }

  /**
   * Loading into an empty replica (the usual `decode`) streams operations straight into a fresh
   * engine, with no intermediate operation objects; it replaces ours only once the whole update
   * has decoded, so a corrupt update still leaves this replica unchanged.
   */
  private load(bytes: Uint8Array, notify: boolean): void {
    const fresh = new SequenceCore(this.replicaId, this.ops);
    const sink = LoadSink.take(fresh);
    let changed: boolean;
    try {
      const { agents, update } = decodeUpdate(bytes, this.codec, sink);
      const map = sink.map ?? fresh.agentMap(agents);
      if (update.base) mergeBase(fresh, update.base, map);
      remap(update, map);
      changed = applyRemote(fresh, update) || sink.changed;
    } finally {
      sink.release();
    }
    fresh.log.trim();
    this.#core = fresh;
    if (changed && notify) this.emit('remote');
  }

  /**
   * @internal The state without its tombstones, as snapshot bytes; see `compactTombstones`,
   * the public way in.
   */
  compactedBytes(): Uint8Array {
    return encodeUpdate(compactedUpdate(this.core), this.core.names, this.codec);
  }

  /**
   * Merges another replica's state into this one (a join: commutative, idempotent). A side
   * compacted further than the other (see `compactTombstones`) is the one the result is built on.
   */
  merge(other: SequenceBase<C>): void {
    if (compactedPast(other.core, this.core)) {
      // The other side was compacted past us: take its state and put what only we have on top,
      // so that no tombstone it dropped comes back. Inserts of ours naming one are placed by the
      // compacted-origin rule, as the server places them (docs/crdt.md, "Compacting tombstones").
      const ours = this.encodeSince(other.version);
      this.load(other.encode(), true);
      this.applyUpdate(ours);
      return;
    }
    this.applyUpdate(other.encodeSince(this.version));
    // A delta carries no compacted base (a snapshot does): take the other's here.
    const base = other.core.base;
    if (base !== null)
      mergeBase(
        this.core,
        base,
        other.core.names.map((n) => this.core.agentIndex(n)),
      );
  }

  /** Calls `listener` after every change; returns a function that unsubscribes it. */
  onChange(listener: (origin: SequenceChangeOrigin) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  protected emit(origin: SequenceChangeOrigin): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) (ls[i] as (origin: SequenceChangeOrigin) => void)(origin);
  }

  protected checkInsertIndex(index: number): void {
    const n = this.core.tree.length;
    if (!Number.isInteger(index) || index < 0 || index > n)
      throw new SequenceRangeError(`insert index ${index} is outside 0..${n}`, index, 0);
  }
}

function remap<C>(update: Update<C>, map: number[]): void {
  for (let i = 0; i < update.ops.length; i++) remapOp(update.ops[i] as UpdateOp<C>, map);
  for (let i = 0; i < update.pending.length; i++) remapOp(update.pending[i] as UpdateOp<C>, map);
  for (let i = 0; i < update.tombstones.length; i += 3)
    update.tombstones[i] = map[update.tombstones[i]!] as number;
}
