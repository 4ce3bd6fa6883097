import { parseDelta, type Delta } from './delta.js';
import { wireCursor, wireJson, wireNumber, wireObject, wireString } from './wireCheck.js';
import { ProtocolError } from './ProtocolError.js';

/**
 * Data of the `ready` event of `GET /v1/events`: catch-up is complete at `cursor`, the stream is
 * live. `epoch` and `head` repeat the store headers; `heartbeatMs`, if a server states it, is
 * its `: ping` interval.
 */
export interface ReadyEvent {
  cursor: number;
  epoch?: string;
  head?: number;
  heartbeatMs?: number;
}

/**
 * One event of the stream, checked. `sync` carries a delta (as a pull page, without `more`);
 * an event name this version does not know is `other` and ignored (events may be added within
 * /v1, as fields may).
 */
export type SseEvent =
  { kind: 'sync'; delta: Delta } | { kind: 'ready'; ready: ReadyEvent } | { kind: 'other'; event: string };

/** Checks the data of a `ready` event (already parsed JSON). */
export function parseReadyEvent(v: unknown): ReadyEvent {
  const r = wireObject(v, '');
  wireCursor(r['cursor'], 'cursor');
  if (r['epoch'] !== undefined) wireString(r['epoch'], 'epoch', true);
  if (r['head'] !== undefined) wireCursor(r['head'], 'head');
  if (r['heartbeatMs'] !== undefined) {
    if (wireNumber(r['heartbeatMs'], 'heartbeatMs') <= 0)
      throw new ProtocolError('heartbeatMs', 'positive', 'expected a positive interval');
  }
  return r as unknown as ReadyEvent;
}

/**
 * Parses and checks one server-sent event (`event:` name and `data:` text). Malformed JSON or a
 * wrong shape throws `ProtocolError` whose path starts with the event name (`sync.docs[0].id`).
 */
export function parseSseEvent(event: string, data: string): SseEvent {
  if (event !== 'sync' && event !== 'ready') return { kind: 'other', event };
  try {
    const json = wireJson(data);
    return event === 'sync'
      ? { kind: 'sync', delta: parseDelta(json) }
      : { kind: 'ready', ready: parseReadyEvent(json) };
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new ProtocolError(e.path ? `${event}.${e.path}` : event, e.rule, e.reason);
  }
}
