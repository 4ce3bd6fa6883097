import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { docToJSON } from '../../src/document/docJson.js';
import { ProtocolError } from '../../src/protocol/ProtocolError.js';
import { parseDefineTypeRequest, parseDefineTypeResponse } from '../../src/protocol/defineType.js';
import { checkWireDoc, checkWireType, parseDelta } from '../../src/protocol/delta.js';
import { parseDocsResponse } from '../../src/protocol/docs.js';
import { parseErrorBody } from '../../src/protocol/errorBody.js';
import { parseReadyEvent, parseSseEvent } from '../../src/protocol/events.js';
import { parseMergeRequest, parseMergeResponse } from '../../src/protocol/merge.js';
import { parsePushRequest, parsePushResponse } from '../../src/protocol/push.js';
import { parseStoreHeaders } from '../../src/protocol/storeHeaders.js';
import { wireJson } from '../../src/protocol/wireCheck.js';
import { runSimulation, scriptArb } from '../support/simulation.js';
import { WorkOrder } from '../support/workOrder.js';
import { fuzzParams, fuzzTimeout } from './fuzzRuns.js';
import { anyJson, build, edgeString, hostile, isDeep } from './hostileValues.js';
import { jsonMutation, mutateJson } from './jsonMutations.js';

/**
 * Fuzzing of the protocol validators (packages/core/src/protocol): push and merge bodies and
 * answers, pull pages and `sync`/`ready` events, docs answers, type definitions and their
 * answers, error bodies, store headers — on valid messages built from real simulated documents
 * and changes with parts replaced by hostile values, on arbitrary JSON, on values nested 30,000
 * levels, and as JSON text truncated or garbled.
 *
 * Property: a message is accepted or refused with a `ProtocolError` naming a path and a rule;
 * never another error; the message itself is never changed by being checked.
 */

/** Every validator, as a function of one JSON value. */
const checks: Record<string, (v: unknown) => unknown> = {
  pushRequest: parsePushRequest,
  pushResponse: (v) => parsePushResponse(v),
  pushResponseFor: (v) => parsePushResponse(v, ['a', 'b', 'c']),
  mergeRequest: parseMergeRequest,
  mergeResponse: (v) => parseMergeResponse(v),
  mergeResponseFor: (v) => parseMergeResponse(v, ['wo42']),
  delta: parseDelta,
  docsResponse: parseDocsResponse,
  defineTypeRequest: (v) => parseDefineTypeRequest(v, 'WorkOrder'),
  defineTypeResponse: parseDefineTypeResponse,
  errorBody: parseErrorBody,
  readyEvent: parseReadyEvent,
  wireDoc: (v) => checkWireDoc(v, 'doc'),
  wireType: (v) => checkWireType(v, 'type'),
};
const names = Object.keys(checks);

/** Valid messages of every kind, around the documents and changes of one simulation. */
function validMessages(docs: unknown[], changes: unknown[]): unknown[] {
  const error = { code: 'invalid_change', message: 'no', path: 'changes[0].ops.x', rule: 'type', limit: 5 };
  return [
    { changes },
    {
      results: [
        { id: 'a', status: 'ok' },
        { id: 'b', status: 'duplicate' },
        { id: 'c', status: 'rejected', error },
      ],
      cursor: 7,
    },
    { docs },
    { results: [{ id: 'wo42', status: 'unchanged' }], cursor: 3 },
    { cursor: 12, types: [WorkOrder], docs, gone: ['old'], more: true },
    { docs, missing: ['gone1'] },
    WorkOrder,
    { cursor: 4, changed: true },
    { error },
    { cursor: 9, epoch: 'e1', head: 9, heartbeatMs: 15_000 },
  ];
}

/** Runs `check`: a ProtocolError must name path and rule, any other error fails. */
function refusedOrAccepted(check: () => unknown): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    expect(typeof e.path).toBe('string');
    expect(e.rule).toMatch(/^[a-z-]+$/);
    expect(e.code).toBe('protocol');
  }
}

/**
 * Every validator on `v`, which none of them may change (compared as JSON text unless `deep`:
 * too deep for JSON.stringify).
 */
function checkAll(v: unknown, deep: boolean): void {
  const before = deep ? undefined : JSON.stringify(v);
  for (const name of names) refusedOrAccepted(() => (checks[name] as (v: unknown) => unknown)(v));
  if (before !== undefined) expect(JSON.stringify(v)).toBe(before);
}

describe('fuzzing the protocol validators', () => {
  const mutated = fuzzParams('mutated protocol messages', 150);
  it(
    'mutated real messages are accepted or a ProtocolError naming path and rule',
    () => {
      fc.assert(
        fc.property(
          scriptArb(2, 6),
          fc.nat(),
          fc.array(jsonMutation(['changes', 'docs', 'results', 'types', 'fields', 'error']), {
            minLength: 1,
            maxLength: 3,
          }),
          (script, pick, mutations) => {
            const sim = runSimulation(2, script);
            const messages = validMessages(sim.docs.map(docToJSON), sim.changes);
            const v = mutateJson(messages[pick % messages.length], mutations);
            checkAll(
              v,
              mutations.some((mu) => 'to' in mu && isDeep(mu.to)),
            );
          },
        ),
        mutated,
      );
    },
    fuzzTimeout(mutated, 20),
  );

  const arbitrary = fuzzParams('arbitrary protocol values', 200);
  it(
    'arbitrary and deeply nested values',
    () => {
      fc.assert(
        fc.property(hostile, (h) => {
          checkAll(build(h), isDeep(h));
        }),
        arbitrary,
      );
    },
    fuzzTimeout(arbitrary, 20),
  );

  const text = fuzzParams('protocol text and headers', 200);
  it(
    'JSON text truncated or garbled, SSE events and store headers',
    () => {
      const jsonText = fc.oneof(
        anyJson.chain((j) =>
          fc
            .tuple(fc.constant(JSON.stringify(j) ?? ''), fc.nat())
            .map(([s, n]) => s.slice(0, n % (s.length + 1))),
        ),
        edgeString,
        fc
          .tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('[', '{"cursor":'))
          .map(([n, open]) => open.repeat(n) + '1' + (open === '[' ? ']' : '}').repeat(n)),
      );
      fc.assert(
        fc.property(
          fc.constantFrom('sync', 'ready', 'other', ''),
          jsonText,
          fc.dictionary(fc.constantFrom('Fieldsync-Epoch', 'Fieldsync-Head', 'Fieldsync-Time'), edgeString),
          (event, data, headers) => {
            refusedOrAccepted(() => wireJson(data));
            refusedOrAccepted(() => parseSseEvent(event, data));
            refusedOrAccepted(() => parseStoreHeaders((n) => headers[n] ?? null));
          },
        ),
        text,
      );
    },
    fuzzTimeout(text, 20),
  );
});
