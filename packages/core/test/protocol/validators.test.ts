import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EPOCH_HEADER,
  HEAD_HEADER,
  ProtocolError,
  TIME_HEADER,
  parseDefineTypeRequest,
  parseDefineTypeResponse,
  parseDelta,
  parseDocsResponse,
  parseErrorBody,
  parseMergeRequest,
  parseMergeResponse,
  parsePushRequest,
  parsePushResponse,
  parseSseEvent,
  parseStoreHeaders,
  wireJson,
} from '../../src/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';

const doc = (id = 'doc-1'): Record<string, unknown> => ({
  id,
  type: 'workOrder',
  v: 1,
  fields: { title: { v: 'Pump', s: '000000001:0000:r1' } },
});
const type = { name: 'workOrder', version: 2, fields: { title: { type: 'string' } }, migrations: [] };
const delta = (): Record<string, unknown> => ({
  cursor: 12,
  types: [type],
  docs: [doc()],
  gone: ['old'],
  more: false,
});
const pushAnswer = (): Record<string, unknown> => ({
  results: [
    { id: 'c1', status: 'ok' },
    { id: 'c2', status: 'duplicate' },
    {
      id: 'c3',
      status: 'rejected',
      error: { code: 'invalid_change', message: 'no', path: 'changes[2].x', rule: 'type' },
    },
  ],
  cursor: 7,
});
const mergeAnswer = (): Record<string, unknown> => ({
  results: [
    { id: 'd1', status: 'ok' },
    { id: 'd2', status: 'unchanged' },
    { id: 'd3', status: 'rejected', error: { code: 'clock_drift', message: 'ahead' } },
  ],
  cursor: 9,
});

/** The path and rule a check refused `v` with (undefined: accepted). */
function refusal(check: (v: unknown) => unknown, v: unknown): { path: string; rule: string } | undefined {
  try {
    check(v);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    expect(e.code).toBe('protocol');
    expect(e.message).toContain(e.rule);
    return { path: e.path, rule: e.rule };
  }
  return undefined;
}

/** A copy of `v` with the value at `path` (keys and indexes) replaced, or deleted for `undefined`. */
function mutate(v: unknown, path: ReadonlyArray<string | number>, to: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (to === undefined && Array.isArray(at)) at.splice(last as number, 1);
  else if (to === undefined) delete at[last];
  else at[last] = to;
  return copy;
}
const wirePath = (path: ReadonlyArray<string | number>): string =>
  path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : p === '' ? k : `${p}.${k}`), '');

describe('protocol validators accept every valid message', () => {
  it('each family', () => {
    expect(parseDelta(delta())).toEqual(delta());
    expect(parseDelta({ cursor: 0, types: [], docs: [], gone: [] }).more).toBeUndefined();
    expect(parsePushResponse(pushAnswer(), ['c1', 'c2', 'c3']).results).toHaveLength(3);
    expect(parseMergeResponse(mergeAnswer(), ['d1', 'd2', 'd3']).cursor).toBe(9);
    expect(parseDocsResponse({ docs: [doc()], missing: ['gone-1'] }).missing).toEqual(['gone-1']);
    expect(parseDefineTypeResponse({ cursor: 3, changed: false })).toEqual({ cursor: 3, changed: false });
    expect(
      parseErrorBody({ error: { code: 'history_gone', message: 'm', path: 'since', horizon: 4 } }).error
        .horizon,
    ).toBe(4);
    expect(parsePushRequest({ changes: [] })).toEqual({ changes: [] });
    expect(parseMergeRequest({ docs: [1] })).toEqual({ docs: [1] });
    expect(parseSseEvent('sync', JSON.stringify(delta()))).toMatchObject({
      kind: 'sync',
      delta: { cursor: 12 },
    });
    expect(parseSseEvent('ready', '{"cursor":5,"epoch":"e","head":5,"heartbeatMs":5000}')).toEqual({
      kind: 'ready',
      ready: { cursor: 5, epoch: 'e', head: 5, heartbeatMs: 5000 },
    });
    expect(parseSseEvent('news', 'not json at all')).toEqual({ kind: 'other', event: 'news' });
  });

  it('fields added within /v1 are allowed (clients ignore what they do not know)', () => {
    expect(parseDelta({ ...delta(), extra: [1] }).cursor).toBe(12);
    expect(parsePushResponse({ ...pushAnswer(), took: 3 }).cursor).toBe(7);
  });

  it('store headers: absent is undefined, present is checked', () => {
    const h = (m: Record<string, string>) => (name: string) => m[name] ?? null;
    expect(parseStoreHeaders(h({}))).toEqual({ epoch: undefined, head: undefined, time: undefined });
    expect(
      parseStoreHeaders(h({ [EPOCH_HEADER]: 'abc', [HEAD_HEADER]: '42', [TIME_HEADER]: '1700000000000' })),
    ).toEqual({
      epoch: 'abc',
      head: 42,
      time: 1700000000000,
    });
    expect(refusal(() => parseStoreHeaders(h({ [HEAD_HEADER]: '-1' })), 0)).toEqual({
      path: `header ${HEAD_HEADER}`,
      rule: 'cursor',
    });
    expect(refusal(() => parseStoreHeaders(h({ [TIME_HEADER]: '1e400' })), 0)).toEqual({
      path: `header ${TIME_HEADER}`,
      rule: 'cursor',
    });
    expect(refusal(() => parseStoreHeaders(h({ [HEAD_HEADER]: '99999999999999999' })), 0)?.rule).toBe(
      'cursor',
    );
    expect(refusal(() => parseStoreHeaders(h({ [EPOCH_HEADER]: '' })), 0)?.rule).toBe('non-empty');
  });
});

describe('protocol validators reject each malformed shape, naming path and rule', () => {
  it('non-JSON and truncated text', () => {
    const text = (v: unknown): unknown => wireJson(String(v));
    expect(refusal(text, '<html>502 Bad Gateway</html>')).toEqual({ path: '', rule: 'json' });
    expect(refusal(text, JSON.stringify(delta()).slice(0, 30))).toEqual({ path: '', rule: 'json' });
    expect(refusal(text, '')).toEqual({ path: '', rule: 'json' });
    expect(wireJson('{"cursor":1e400}')).toEqual({ cursor: Infinity });
  });

  it('pull pages and sync events', () => {
    const cases: Array<[unknown, string, string]> = [
      [null, '', 'object'],
      [[], '', 'object'],
      [mutate(delta(), ['cursor'], '12'), 'cursor', 'cursor'],
      [mutate(delta(), ['cursor'], -1), 'cursor', 'cursor'],
      [mutate(delta(), ['cursor'], 1.5), 'cursor', 'cursor'],
      [mutate(delta(), ['cursor'], Infinity), 'cursor', 'cursor'],
      [mutate(delta(), ['cursor'], 2 ** 53), 'cursor', 'cursor'],
      [mutate(delta(), ['cursor'], undefined), 'cursor', 'cursor'],
      [mutate(delta(), ['docs'], {}), 'docs', 'array'],
      [mutate(delta(), ['docs', 0], 'x'), 'docs[0]', 'object'],
      [mutate(delta(), ['docs', 0, 'id'], 7), 'docs[0].id', 'doc-id'],
      [mutate(delta(), ['docs', 0, 'id'], 'a b'), 'docs[0].id', 'doc-id'],
      [mutate(delta(), ['docs', 0, 'type'], ''), 'docs[0].type', 'non-empty'],
      [mutate(delta(), ['docs', 0, 'v'], 0), 'docs[0].v', 'version'],
      [mutate(delta(), ['docs', 0, 'fields'], undefined), 'docs[0].fields', 'object'],
      [mutate(delta(), ['docs', 0, 'deleted'], true), 'docs[0].deleted', 'object'],
      [mutate(delta(), ['types', 0, 'name'], 3), 'types[0].name', 'string'],
      [mutate(delta(), ['types', 0, 'version'], '2'), 'types[0].version', 'version'],
      [mutate(delta(), ['types', 0, 'fields'], []), 'types[0].fields', 'object'],
      [mutate(delta(), ['gone'], 'old'), 'gone', 'array'],
      [mutate(delta(), ['gone', 0], null), 'gone[0]', 'string'],
      [mutate(delta(), ['more'], 'yes'), 'more', 'boolean'],
    ];
    for (const [v, path, rule] of cases)
      expect(refusal(parseDelta, v), `${path} ${rule}`).toEqual({ path, rule });
  });

  it('push and merge answers, one result per item sent, in order', () => {
    const push = (v: unknown) => parsePushResponse(v, ['c1', 'c2', 'c3']);
    expect(refusal(push, mutate(pushAnswer(), ['results'], null))).toEqual({
      path: 'results',
      rule: 'array',
    });
    expect(refusal(push, mutate(pushAnswer(), ['cursor'], JSON.parse('1e400')))).toEqual({
      path: 'cursor',
      rule: 'cursor',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 2], undefined))).toEqual({
      path: 'results',
      rule: 'count',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 1, 'id'], 'c9'))).toEqual({
      path: 'results[1].id',
      rule: 'order',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 1, 'id'], 2))).toEqual({
      path: 'results[1].id',
      rule: 'string',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 0, 'status'], 'fine'))).toEqual({
      path: 'results[0].status',
      rule: 'enum',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 2, 'error'], undefined))).toEqual({
      path: 'results[2].error',
      rule: 'object',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 2, 'error', 'code'], ''))).toEqual({
      path: 'results[2].error.code',
      rule: 'non-empty',
    });
    expect(refusal(push, mutate(pushAnswer(), ['results', 2, 'error', 'limit'], 'big'))).toEqual({
      path: 'results[2].error.limit',
      rule: 'number',
    });
    const merge = (v: unknown) => parseMergeResponse(v, ['d1', 'd2', 'd3']);
    expect(refusal(merge, mutate(mergeAnswer(), ['results', 0, 'status'], 'duplicate'))).toEqual({
      path: 'results[0].status',
      rule: 'enum',
    });
    expect(refusal(merge, mutate(mergeAnswer(), ['results', 2, 'error', 'message'], 5))).toEqual({
      path: 'results[2].error.message',
      rule: 'string',
    });
    expect(refusal(merge, { ...mergeAnswer(), results: [] })).toEqual({ path: 'results', rule: 'count' });
  });

  it('docs, define-type and error bodies, request bodies', () => {
    expect(refusal(parseDocsResponse, { docs: [doc()] })).toEqual({ path: 'missing', rule: 'array' });
    expect(refusal(parseDocsResponse, { docs: [{ ...doc(), v: 'one' }], missing: [] })).toEqual({
      path: 'docs[0].v',
      rule: 'version',
    });
    expect(refusal(parseDefineTypeResponse, { cursor: 1, changed: 'no' })).toEqual({
      path: 'changed',
      rule: 'boolean',
    });
    expect(refusal(parseErrorBody, { error: 'bad' })).toEqual({ path: 'error', rule: 'object' });
    expect(refusal(parseErrorBody, { error: { code: 'x', message: 'm', horizon: -2 } })).toEqual({
      path: 'error.horizon',
      rule: 'cursor',
    });
    expect(refusal(parsePushRequest, { changes: {} })).toEqual({ path: 'changes', rule: 'array' });
    expect(refusal(parseMergeRequest, null)).toEqual({ path: 'docs', rule: 'array' });
    expect(parseDefineTypeRequest(type, 'workOrder')).toBe(type);
    expect(refusal((v) => parseDefineTypeRequest(v, 'job'), type)).toEqual({ path: 'name', rule: 'match' });
    expect(refusal((v) => parseDefineTypeRequest(v, 'job'), 'job')).toEqual({ path: 'name', rule: 'match' });
  });

  it('SSE events: the path starts with the event name', () => {
    const ev = (event: string, data: string) => () => parseSseEvent(event, data);
    expect(refusal(ev('sync', '{"cursor":'), 0)).toEqual({ path: 'sync', rule: 'json' });
    expect(refusal(ev('sync', '{"cursor":3,"types":[],"docs":[{"id":1}],"gone":[]}'), 0)).toEqual({
      path: 'sync.docs[0].id',
      rule: 'doc-id',
    });
    expect(refusal(ev('ready', '"ready"'), 0)).toEqual({ path: 'ready', rule: 'object' });
    expect(refusal(ev('ready', '{"cursor":1,"heartbeatMs":0}'), 0)).toEqual({
      path: 'ready.heartbeatMs',
      rule: 'positive',
    });
    expect(refusal(ev('ready', '{"cursor":1,"head":"9"}'), 0)).toEqual({
      path: 'ready.head',
      rule: 'cursor',
    });
  });
});

/** Generated valid pages, and each with one required place replaced by a value of another type. */
const docArb = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/),
  type: fc.stringMatching(/^[a-z][A-Za-z0-9]{0,10}$/),
  v: fc.integer({ min: 1, max: 50 }),
  // As a page arrives: JSON text, in which a -0 is written as 0 (fc.jsonValue may give -0).
  fields: fc
    .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
    .map((f) => JSON.parse(JSON.stringify(f)) as Record<string, unknown>),
});
const deltaArb = fc.record(
  {
    cursor: fc.maxSafeNat(),
    types: fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 8 }),
        version: fc.integer({ min: 1, max: 9 }),
        fields: fc.constant({}),
      }),
      { maxLength: 3 },
    ),
    docs: fc.array(docArb, { maxLength: 5 }),
    gone: fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 4 }),
    more: fc.boolean(),
  },
  { requiredKeys: ['cursor', 'types', 'docs', 'gone'] },
);
/** A value no field of a page accepts at the places chosen below. */
const garbage = fc.oneof(
  fc.constant(null),
  fc.constant(-1),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant('x y'),
  fc.constant([]),
  fc.constant(0.5),
);

describe('protocol validators, properties', () => {
  it('accept every generated valid page, unchanged (property)', () => {
    fc.assert(
      fc.property(deltaArb, (d) => {
        expect(parseDelta(JSON.parse(JSON.stringify(d)))).toEqual(d);
      }),
      fcParams('parseDelta accepts valid pages', 300),
    );
  });

  it('reject a page with any one required place broken, naming exactly that path (property)', () => {
    const broken = deltaArb
      .chain((d) => {
        const places: Array<Array<string | number>> = [['cursor'], ['docs'], ['types'], ['gone']];
        d.docs.forEach((_, i) =>
          places.push(
            ['docs', i],
            ['docs', i, 'id'],
            ['docs', i, 'type'],
            ['docs', i, 'v'],
            ['docs', i, 'fields'],
          ),
        );
        d.types.forEach((_, i) => places.push(['types', i, 'name'], ['types', i, 'version']));
        d.gone.forEach((_, i) => places.push(['gone', i]));
        return fc.tuple(fc.constant(d), fc.constantFrom(...places), garbage);
      })
      // An array is a valid `docs`/`types`/`gone`; a string is a valid type name or gone id.
      .filter(([, place, g]) => !(Array.isArray(g) && place.length === 1 && place[0] !== 'cursor'))
      .filter(([, place, g]) => !(typeof g === 'string' && ['name', 'type'].includes(String(place[2]))))
      .filter(([, place, g]) => !(typeof g === 'string' && place[0] === 'gone' && place.length === 2));
    fc.assert(
      fc.property(broken, ([d, place, g]) => {
        const r = refusal(parseDelta, mutate(d, place, g));
        expect(r?.path).toBe(wirePath(place));
      }),
      fcParams('parseDelta names the broken path', 500),
    );
  });
});
