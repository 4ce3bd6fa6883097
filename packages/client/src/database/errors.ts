import { FieldsyncError } from '@fieldsync/core';

/** The database was closed, or its storage failed and it stopped accepting writes. */
export class DatabaseClosedError extends FieldsyncError {
  constructor(message = 'the database is closed') {
    super('closed', message);
    this.name = 'DatabaseClosedError';
  }
}
