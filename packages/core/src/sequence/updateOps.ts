import type { MoveMeta } from './Run.js';

/**
 * The decoded form of an update, with agents as indices into the replica's own agent table.
 * Every operation owns the ids `agent:seq .. agent:seq+len-1`; deletes consume ids too, so one
 * version vector (next seq per agent) says exactly which operations a replica has.
 */
export type UpdateOp<C> = InsertOp<C> | DeleteOp | ClaimOp;

/** Insert `len` items between origin-left and origin-right (FugueMax/YATA placement). */
export interface InsertOp<C> {
  kind: 0;
  agent: number;
  seq: number;
  len: number;
  oLa: number;
  oLs: number;
  oRa: number;
  oRs: number;
  /** Consecutive parts: content, or null for items already deleted at the sender. */
  parts: Array<{ len: number; content: C | null }>;
  move: MoveMeta | undefined;
}

/** Delete the items named by `targets` (flat triples agent, seq, len). */
export interface DeleteOp {
  kind: 1;
  agent: number;
  seq: number;
  len: number;
  targets: number[];
}

/**
 * Ids consumed by deletes whose targets are not listed: the update's tombstone set carries their
 * effect. A full snapshot encodes every delete this way (its inserts carry their deleted parts).
 */
export interface ClaimOp {
  kind: 2;
  agent: number;
  seq: number;
  len: number;
}

export interface Update<C> {
  /** Operations in a causal order. */
  ops: UpdateOp<C>[];
  /** Operations the sender itself still waits on (their dependencies are missing there too). */
  pending: UpdateOp<C>[];
  /**
   * Set for a full snapshot: the next seq of every agent. `ops` then holds only inserts and every
   * id between them is a delete whose effect the inserts' deleted parts carry, so the encoding
   * leaves those claims implicit.
   */
  ends: number[] | null;
  /** Flat triples agent, seq, len: items known to be deleted. */
  tombstones: number[];
  /**
   * Set in a snapshot of a compacted replica: per agent, its next id when the replica was
   * compacted. Items below it are the compacted base, which inserts naming a compacted origin are
   * placed against (`orphanOrigins.ts`).
   */
  base?: number[] | null;
}
