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
  // for…in, not Object.entries: no array per object (a page of 5,000 documents has ~30,000).
  for (const k in json) {
    const v = (json as Record<string, unknown>)[k];
    if ((k === 's' || k === 'p') && typeof v === 'string') {
      // Only a candidate is checked: a string that is no stamp is skipped, as before.
      if ((max === undefined || v > max) && isStamp(v)) max = v;
    } else if (typeof v === 'object') max = maxStamp(v, max);
  }
  return max;
}
