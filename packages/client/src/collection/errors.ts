import { FieldsyncError } from '@fieldsync/core';

/** The document does not exist (or is deleted) in this collection. Nothing was written. */
export class NotFoundError extends FieldsyncError {
  constructor(
    readonly collection: string,
    readonly id: string,
  ) {
    super('not_found', `${collection}: no document with id "${id}"`);
    this.name = 'NotFoundError';
  }
}
