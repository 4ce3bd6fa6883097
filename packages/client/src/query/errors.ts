import { FieldsyncError } from '@fieldsync/core';

/**
 * A malformed selector or find option (unknown operator, wrong operand type, bad path). Thrown
 * when the query is compiled, before anything is read or subscribed, so nothing changed.
 */
export class QueryError extends FieldsyncError {
  /** Dot path inside the selector/options where the problem was found ('' = top level). */
  readonly path: string;
  constructor(message: string, path: string) {
    super('query', path ? `${path}: ${message}` : message);
    this.name = 'QueryError';
    this.path = path;
  }
}

/**
 * A malformed update modifier (`$set`, `$inc`, …) or one that does not fit the field's type.
 * Thrown before a change is built: nothing is written, no subscriber is notified.
 */
export class ModifierError extends FieldsyncError {
  readonly path: string;
  constructor(message: string, path: string) {
    super('modifier', path ? `${path}: ${message}` : message);
    this.name = 'ModifierError';
    this.path = path;
  }
}
