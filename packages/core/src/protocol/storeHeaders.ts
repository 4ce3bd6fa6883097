import { ProtocolError } from './ProtocolError.js';

/** Identity of the server's store: 128 random bits, new on every backup copy and restore. */
export const EPOCH_HEADER = 'Fieldsync-Epoch';
/** The caller's tenant's head (highest committed sequence); absent when anonymous. */
export const HEAD_HEADER = 'Fieldsync-Head';
/** The server's wall clock when it answered, ms since 1970. */
export const TIME_HEADER = 'Fieldsync-Time';
/** The headers every `/v1` response carries (docs/protocol.md, "Epoch, head and time"). */
export const STORE_HEADERS = [EPOCH_HEADER, HEAD_HEADER, TIME_HEADER] as const;

/** What the store headers of one answer say (each undefined when absent). */
export interface StoreHeaders {
  epoch: string | undefined;
  head: number | undefined;
  time: number | undefined;
}

/**
 * Reads the store headers of an answer (`get` as `Headers.get`). Absent headers are undefined;
 * a present but malformed one throws `ProtocolError` (path `header Fieldsync-Head`): a client
 * acting on it would resync for nothing (a head of -1 is "below every cursor") or set its clock
 * by garbage.
 */
export function parseStoreHeaders(get: (name: string) => string | null): StoreHeaders {
  const epoch = get(EPOCH_HEADER) ?? undefined;
  if (epoch === '') throw new ProtocolError(`header ${EPOCH_HEADER}`, 'non-empty', 'expected an epoch');
  return { epoch, head: count(get, HEAD_HEADER), time: count(get, TIME_HEADER) };
}

function count(get: (name: string) => string | null, name: string): number | undefined {
  const raw = get(name);
  if (raw === null) return undefined;
  const n = /^[0-9]{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n))
    throw new ProtocolError(
      `header ${name}`,
      'cursor',
      `expected a non-negative integer, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  return n;
}
