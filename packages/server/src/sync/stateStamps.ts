import { isStamp, type DocJSON, isRecord } from '@fieldsync/core';

/** The newest stamp of a document state and where it is, for the drift check. */
export interface NewestStamp {
  stamp: string;
  /** Path inside the document JSON, e.g. `fields.tags.a["…/0"]`. */
  path: string;
}

/**
 * The newest wall-clock stamp anywhere in a (structurally valid, see core `docFromJSON`) document
 * state: register winners, the stamps writers had seen and superseded values, object keys, log
 * entries, and set tags (`stamp/n`, added or removed). Counters and sequences (text, list) carry
 * no wall-clock stamps: nothing in them can win by being far in the future.
 *
 * Why every stamp: a full state sent to `/v1/merge` is as much a write as a change; a forged
 * far-future stamp inside it would win its register forever, exactly what the drift bound on
 * pushed changes prevents.
 */
export function newestStamp(doc: DocJSON): NewestStamp | undefined {
  let best: NewestStamp | undefined;
  const see = (s: unknown, path: string): void => {
    if (typeof s === 'string' && isStamp(s) && (best === undefined || s > best.stamp))
      best = { stamp: s, path };
  };
  const tag = (t: string, path: string): void => see(t.slice(0, t.lastIndexOf('/')), path);
  const field = (state: unknown, path: string): void => {
    if (!isRecord(state)) return;
    switch (state['k']) {
      case undefined: {
        see(state['s'], `${path}.s`);
        see(state['p'], `${path}.p`);
        const h = state['h'];
        if (Array.isArray(h)) h.forEach((e, i) => isRecord(e) && see(e['s'], `${path}.h[${i}].s`));
        return;
      }
      case 'o': {
        const f = state['f'];
        if (isRecord(f)) for (const k in f) field(f[k], `${path}.f[${JSON.stringify(k)}]`);
        return;
      }
      case 'l': {
        const e = state['e'];
        if (Array.isArray(e)) e.forEach((x, i) => isRecord(x) && see(x['s'], `${path}.e[${i}].s`));
        return;
      }
      case 's': {
        const a = state['a'];
        const r = state['r'];
        if (isRecord(a)) for (const t in a) tag(t, `${path}.a[${JSON.stringify(t)}]`);
        if (Array.isArray(r)) r.forEach((t, i) => typeof t === 'string' && tag(t, `${path}.r[${i}]`));
        return;
      }
      default:
        return; // 'c' counter, 't' text, 'L' list
    }
  };
  for (const key in doc.fields) field(doc.fields[key], `fields[${JSON.stringify(key)}]`);
  if (doc.deleted !== undefined) field(doc.deleted, 'deleted');
  return best;
}
