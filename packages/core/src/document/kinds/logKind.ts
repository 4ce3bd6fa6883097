import { isStamp } from '../../clock/stamp.js';
import { logAppend, logEntries, mergeLog, type LogEntry, type LogState } from '../../crdt/log.js';
import { ValidationError } from '../../errors.js';
import { joinPath, validateItem } from '../../schema/validateValue.js';
import { isJson } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/** Append-only log kind. JSON state `{ k: 'l', e: [{ s, n, v }] }`; delta `{ k: 'l', v: [values] }`. */
export const logKind: FieldKind<LogState> = {
  tag: 'l',
  policy: 'log',
  merge: mergeLog,
  materialize: logEntries,
  toJSON: (l) => l,
  canonical: (l) => l,
  fromJSON(json, path) {
    if (!Array.isArray(json.e)) bad(path, 'state', 'log state needs `e`');
    const e: LogEntry[] = [];
    let prev: LogEntry | undefined;
    for (const raw of json.e as unknown[]) {
      const x = raw as Record<string, unknown>;
      if (
        typeof raw !== 'object' ||
        raw === null ||
        !isStamp(x.s) ||
        !Number.isInteger(x.n) ||
        (x.n as number) < 0 ||
        x.v === undefined ||
        !isJson(x.v)
      ) {
        bad(path, 'state', 'log entries are { s: stamp, n: index, v: JSON }');
      }
      const entry: LogEntry = { s: x.s, n: x.n as number, v: x.v };
      if (prev && (prev.s > entry.s || (prev.s === entry.s && prev.n >= entry.n)))
        bad(path, 'state', 'log entries must be sorted and unique');
      e.push(entry);
      prev = entry;
    }
    return { k: 'l', e };
  },
  validateDelta(delta, def, path) {
    if (!Array.isArray(delta.v) || delta.v.length === 0)
      bad(path, 'delta', 'log delta needs a non-empty array `v`');
    for (let i = 0; i < delta.v.length; i++) {
      if (def) validateItem(def, delta.v[i], joinPath(path, i));
      else if (delta.v[i] === undefined || !isJson(delta.v[i]))
        bad(joinPath(path, i), 'type', 'log entries must be JSON');
    }
  },
  applyDelta(current, delta, stamp) {
    const next = logAppend(delta.v as unknown[], stamp);
    return current ? mergeLog(current, next) : next;
  },
};
