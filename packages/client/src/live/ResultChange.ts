import type { Doc } from '../query/types.js';

/**
 * How one notification's results differ from the previous results the subscriber saw.
 * `added`/`changed` carry the index in the new results, `removed` the index in the previous
 * results, and `moved` both (a document whose order relative to the others changed).
 */
export type ResultChange =
  | { type: 'added'; doc: Doc; index: number }
  | { type: 'removed'; id: string; index: number }
  | { type: 'changed'; doc: Doc; index: number }
  | { type: 'moved'; id: string; from: number; to: number };

export type QueryListener = (results: readonly Doc[], changes: readonly ResultChange[]) => void;
