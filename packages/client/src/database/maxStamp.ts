import { isStamp } from '@fieldsync/core';

/**
 * The highest register stamp (`s`/`p` properties) inside a document's JSON state. The database
 * feeds it to its clock when remote documents arrive, so a local edit made right after a pull
 * is stamped after what it overwrites (otherwise a peer whose clock runs slightly ahead would
 * keep winning last-writer-wins against edits made later in real time).
 */
export function maxStamp(json: unknown, max: string | undefined = undefined): string | undefined {
  if (json === null || typeof json !== 'object') return max;
  if (Array.isArray(json)) {
    for (const v of json) max = maxStamp(v, max);
    return max;
  }
  for (const [k, v] of Object.entries(json)) {
    if ((k === 's' || k === 'p') && isStamp(v)) {
      if (max === undefined || v > max) max = v;
    } else if (typeof v === 'object') max = maxStamp(v, max);
  }
  return max;
}
