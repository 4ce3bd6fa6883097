export { Text } from './Text.js';
export { List } from './List.js';
export { compactTombstones } from './compactTombstones.js';
export type { SequenceVersion, SequenceChangeOrigin } from './SequenceBase.js';
export { SequenceRangeError } from './SequenceRangeError.js';
