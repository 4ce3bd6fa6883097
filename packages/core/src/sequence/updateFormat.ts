/**
 * Shared constants of the sequence update format (see docs/crdt.md, "Sequence CRDT"). Layout:
 * CRC-protected bytes `magic, format, content kind, flags, agents, content, ops, [ends],
 * pending ops, tombstones, [base]`. The tag bits used by nearly every insert of a single-writer document fit
 * in the first varint byte; rare ones (other agent, seq jump, move) cost a second byte.
 */
export const MAGIC = 0xf5;
export const FORMAT = 1;

/** Header flag: a full snapshot (ids between inserts are deletes, `ends` closes each agent). */
export const F_FULL = 1;
/**
 * Header flag (snapshots only): the sender was compacted; its base (per agent, the next id at
 * compaction) follows the tombstones. Inserts naming a compacted origin are placed against it.
 */
export const F_BASE = 2;

// Operation tag bits (the tag is a varint). Bits 0-1 hold the kind.
export const T_OL = 1 << 2; // has origin-left
export const T_OR = 1 << 3; // has origin-right
export const T_OR_NEXT = 1 << 4; // origin-right is the id after origin-left
export const T_PARTS = 1 << 5; // several parts (some deleted)
export const T_DELETED = 1 << 6; // single part, deleted
export const T_AGENT = 1 << 7; // agent differs from the previous operation's
export const T_SEQ = 1 << 8; // seq differs from the agent's expected next seq
export const T_OL_PREV = 1 << 9; // origin-left is agent:seq-1 (continuing a split insert)
export const T_MOVE = 1 << 10; // a list slot written by a move
export const T_OL_OTHER = 1 << 11; // origin-left belongs to another agent (its index follows)
export const T_OR_OTHER = 1 << 12; // origin-right belongs to another agent (its index follows)
export const T_MAX = 1 << 13;
