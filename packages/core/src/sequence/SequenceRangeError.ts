import { FieldsyncError } from '../errors.js';

/**
 * An index or length outside the sequence (or not a non-negative integer). Thrown before anything
 * changes, so the replica is exactly as it was.
 */
export class SequenceRangeError extends FieldsyncError {
  readonly index: number;
  readonly length: number;
  constructor(message: string, index: number, length: number) {
    super('out_of_range', message);
    this.name = 'SequenceRangeError';
    this.index = index;
    this.length = length;
  }
}
