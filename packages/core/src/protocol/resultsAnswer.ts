import { ProtocolError } from './ProtocolError.js';
import { parseErrorInfo } from './errorBody.js';
import { at, wireArray, wireCursor, wireObject, wireOneOf, wireString } from './wireCheck.js';

/** How a results answer names what was sent, in its error messages. */
export interface SentNames {
  /** Plural noun for the count check: "changes", "documents". */
  plural: string;
  /** Put before a sent id in the order check: "change " or "". */
  prefix: string;
}

/**
 * Checks an answer of the form `{ results: [{ id, status, error? }], cursor }` (push and merge).
 * With `sent` (the ids sent, in order) it also checks that there is exactly one result per item
 * and that each names its item: a client acknowledges by position, so an answer for other items
 * must never drop these.
 */
export function parseResultsAnswer(
  v: unknown,
  statuses: readonly string[],
  names: SentNames,
  sent?: readonly string[],
): Record<string, unknown> {
  const body = wireObject(v, '');
  const results = wireArray(body['results'], 'results');
  wireCursor(body['cursor'], 'cursor');
  if (sent && results.length !== sent.length)
    throw new ProtocolError(
      'results',
      'count',
      `${results.length} results for ${sent.length} ${names.plural}`,
    );
  for (let i = 0; i < results.length; i++) {
    const p = at('results', i);
    const o = wireObject(results[i], p);
    const id = wireString(o['id'], at(p, 'id'));
    if (sent && id !== sent[i])
      throw new ProtocolError(
        at(p, 'id'),
        'order',
        `result for ${JSON.stringify(id)} where ${names.prefix}${JSON.stringify(sent[i])} was sent`,
      );
    const status = wireOneOf(o['status'], at(p, 'status'), statuses);
    if (status === 'rejected' || o['error'] !== undefined) parseErrorInfo(o['error'], at(p, 'error'));
  }
  return body;
}
