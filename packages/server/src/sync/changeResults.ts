import type { Change, ChangeResult } from '@fieldsync/core';

/** A `rejected` result for change `id`: the code and message the device shows, and where. */
export const reject = (
  id: string,
  code: string,
  message: string,
  path?: string,
  extra?: { rule?: string; limit?: number },
): ChangeResult => ({
  id,
  status: 'rejected',
  error: { code, message, ...(path === undefined ? {} : { path }), ...extra },
});

/** A write rule threw: this change alone is rejected (the reason is logged, not sent). */
export const ruleFailed = (c: Change, i: number): ChangeResult =>
  reject(
    c.id,
    'rule_error',
    `the write rule of type "${c.type}" failed on this change; it is rejected and the server logged why`,
    `changes[${i}]`,
  );
