import { ValidationError } from '../errors.js';
import { describeValue } from '../util/describeValue.js';

/**
 * A hybrid-logical-clock timestamp: `WWWWWWWWW:CCCC:replica` — wall-clock milliseconds in base 36
 * padded to 9 characters, a counter in base 36 padded to 4, and the replica id. Because the first
 * two parts have fixed width, plain string comparison is the total order (wall, counter, replica).
 * Strings are compact, JSON-native and cheap to compare and to share between fields.
 */
export type Stamp = string;

/** The parts of a stamp. */
export interface StampParts {
  wall: number;
  counter: number;
  replica: string;
}

/** Largest wall value that fits 9 base-36 digits (about year 5138). */
export const MAX_WALL = 36 ** 9 - 1;
/** Largest counter that fits 4 base-36 digits. */
export const MAX_COUNTER = 36 ** 4 - 1;
const WALL_PAD = '000000000';
const COUNTER_PAD = '0000';

/** True for a replica id made of `[A-Za-z0-9_-]`, 1 to 64 characters. Loop, not regex: hot path. */
export function isReplicaId(id: unknown): id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

function isBase36Lower(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/**
 * The last stamp found well-formed: the registers of a stored or received document mostly share
 * one stamp (a bulk insert writes all its fields at one), so checking 100,000 documents of five
 * fields does 100,000 checks instead of 500,000. Stamps are immutable strings: equal is valid.
 */
let lastValid = '';

/** True if `s` is a well-formed stamp. Checked on every incoming change, so no regex. */
export function isStamp(s: unknown): s is Stamp {
  if (typeof s !== 'string' || s.length < 16) return false;
  if (s === lastValid) return true;
  if (s.charCodeAt(9) !== 58 || s.charCodeAt(14) !== 58) return false;
  if (!(isBase36Lower(s, 0, 9) && isBase36Lower(s, 10, 14) && isReplicaId(s.slice(15)))) return false;
  lastValid = s;
  return true;
}

/** Builds a stamp. Throws `ValidationError` for out-of-range parts. */
export function formatStamp(wall: number, counter: number, replica: string): Stamp {
  if (!Number.isInteger(wall) || wall < 0 || wall > MAX_WALL) {
    throw new ValidationError('stamp.wall', 'range', `wall ${wall} out of range`);
  }
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
    throw new ValidationError('stamp.counter', 'range', `counter ${counter} out of range`);
  }
  if (!isReplicaId(replica))
    throw new ValidationError('stamp.replica', 'format', `bad replica id ${describeValue(replica)}`);
  const w = wall.toString(36);
  const c = counter.toString(36);
  return WALL_PAD.slice(w.length) + w + ':' + COUNTER_PAD.slice(c.length) + c + ':' + replica;
}

/** Splits a stamp into its parts. Throws `ValidationError` (rule `stamp`) if malformed. */
export function parseStamp(s: string): StampParts {
  if (!isStamp(s)) throw new ValidationError('stamp', 'stamp', `malformed stamp ${describeValue(s)}`);
  return { wall: parseInt(s.slice(0, 9), 36), counter: parseInt(s.slice(10, 14), 36), replica: s.slice(15) };
}

/** The replica id part of a well-formed stamp. */
export function stampReplica(s: Stamp): string {
  return s.slice(15);
}

/** Wall-clock milliseconds of a well-formed stamp. */
export function stampWall(s: Stamp): number {
  return parseInt(s.slice(0, 9), 36);
}

/** Total order of stamps: -1, 0 or 1. Equivalent to string comparison, named for readability. */
export function compareStamps(a: Stamp, b: Stamp): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
