import { isStamp, isRecord } from '@fieldsync/core';

/** Envelope check before anything else: a malformed entry is rejected, its neighbours proceed. */
export function envelopeProblem(c: unknown): { message: string; path: string } | undefined {
  if (!isRecord(c)) return { message: 'a change must be a JSON object', path: '' };
  for (const k of ['id', 'doc', 'type'] as const) {
    if (typeof c[k] !== 'string' || c[k] === '')
      return { message: `"${k}" must be a non-empty string`, path: k };
  }
  if (!isStamp(c['stamp'])) return { message: '"stamp" is not a valid HLC stamp', path: 'stamp' };
  if (typeof c['v'] !== 'number') return { message: '"v" (type version) must be a number', path: 'v' };
  if (c['ops'] === undefined || c['ops'] === null) return { message: '"ops" is missing', path: 'ops' };
  return undefined;
}
