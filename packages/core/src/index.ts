export {};

// Sequence CRDT: collaborative Text and List (owned by sequence/)
export { List, SequenceRangeError, Text } from './sequence/index.js';
export type { SequenceChangeOrigin, SequenceVersion } from './sequence/index.js';
