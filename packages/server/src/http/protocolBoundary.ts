import { STRING_MESSAGE, stringRule, type BoundaryProblem } from '../validation/storableValues.js';

/**
 * The identity a request carries (tenant and user ids from its token), checked at the protocol
 * boundary with the same string rules as every other untrusted value (`validation/storableValues.ts`).
 */

/** Longest tenant or user id, in UTF-8 bytes (they travel in NOTIFY payloads and log lines). */
export const MAX_ID_BYTES = 256;

/**
 * A tenant or user id from a token: well-formed text without control characters, 1 to
 * {@link MAX_ID_BYTES} UTF-8 bytes. Checked once at authentication so that no id that an engine
 * would alter (or refuse) ever keys a stored row.
 */
export function idProblem(id: string, name: string): BoundaryProblem | undefined {
  const rule = stringRule(id);
  if (rule) return { path: name, rule, message: `"${name}" ${STRING_MESSAGE[rule]}` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(id))
    return { path: name, rule: 'control-char', message: `"${name}" contains a control character` };
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes === 0 || bytes > MAX_ID_BYTES)
    return {
      path: name,
      rule: 'length',
      message: `"${name}" must be 1 to ${MAX_ID_BYTES} UTF-8 bytes (got ${bytes})`,
    };
  return undefined;
}
