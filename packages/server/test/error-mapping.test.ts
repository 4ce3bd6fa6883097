import { ProtocolError, parseErrorBody } from '@fieldsync/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../src/http/HttpError.js';
import { httpErrorOf } from '../src/http/errorResponse.js';
import { DomainError, type DomainErrorCode } from '../src/sync/DomainError.js';
import { testServer, type TestServer } from '../../../testing/server/harness.js';

/**
 * Domain code throws `DomainError`; only http/ turns it into a status and a JSON body, and every
 * error body the server sends is the wire contract's `ErrorBody` (checked with core's parser).
 */
describe('domain errors become HTTP answers in http/ only', () => {
  it('one status per domain code; protocol errors of a request are 400 bad_request; others are not mapped', () => {
    const expected: Record<DomainErrorCode, number> = {
      bad_filter: 400,
      bad_request: 400,
      forbidden: 403,
      unknown_user: 404,
      type_version: 409,
      invalid_type: 422,
      invalid_migration: 422,
      reserved_type: 422,
      push_too_large: 413,
    };
    for (const [code, status] of Object.entries(expected) as Array<[DomainErrorCode, number]>) {
      const h = httpErrorOf(new DomainError(code, 'why', 'where.x', 'some-rule'));
      expect(h?.status, code).toBe(status);
      expect(h?.toJSON(), code).toEqual({
        error: { code, message: 'why', path: 'where.x', rule: 'some-rule' },
      });
    }
    expect(httpErrorOf(new DomainError('forbidden', 'no'))?.toJSON()).toEqual({
      error: { code: 'forbidden', message: 'no' },
    });
    const p = httpErrorOf(new ProtocolError('changes', 'array', 'body must be { "changes": [ ... ] }'));
    expect([p?.status, p?.toJSON()]).toEqual([
      400,
      {
        error: {
          code: 'bad_request',
          message: 'body must be { "changes": [ ... ] }',
          path: 'changes',
          rule: 'array',
        },
      },
    ]);
    const h = new HttpError(410, 'history_gone', 'gone', 'since', { horizon: 3 });
    expect(httpErrorOf(h)).toBe(h);
    expect(httpErrorOf(new Error('a bug'))).toBeUndefined();
  });

  describe('over HTTP', () => {
    let srv: TestServer;
    let token: string;
    const call = async (method: string, path: string, body?: string) => {
      const res = await fetch(`${srv.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body }),
      });
      return { status: res.status, body: parseErrorBody(await res.json()).error };
    };
    beforeAll(async () => {
      srv = await testServer({});
      token = await srv.token('anna', 'acme');
    });
    afterAll(() => srv.close());

    it('request bodies of the wrong shape, filters, types: status, code, path and rule', async () => {
      expect(await call('POST', '/v1/push', '{"change":[]}')).toMatchObject({
        status: 400,
        body: { code: 'bad_request', path: 'changes', rule: 'array' },
      });
      expect(await call('POST', '/v1/merge', '[]')).toMatchObject({
        status: 400,
        body: { code: 'bad_request', path: 'docs', rule: 'array' },
      });
      expect(await call('PUT', '/v1/types/a', '{"name":"b"}')).toMatchObject({
        status: 400,
        body: {
          code: 'bad_request',
          path: 'name',
          rule: 'match',
          message: 'body must be a type definition whose "name" is "a"',
        },
      });
      const where = encodeURIComponent(JSON.stringify({ site: { $in: 's1' } }));
      expect(await call('GET', `/v1/pull?where=${where}`)).toMatchObject({
        status: 400,
        body: { code: 'bad_filter', path: 'where.site.$in', rule: 'array' },
      });
      expect(await call('GET', '/v1/events?types=a%20b')).toMatchObject({
        status: 400,
        body: { code: 'bad_filter', path: 'types', rule: 'type-name' },
      });
      expect(
        await call('PUT', '/v1/types/_x', JSON.stringify({ name: '_x', version: 1, fields: {} })),
      ).toMatchObject({
        status: 422,
        body: { code: 'reserved_type', path: 'name' },
      });
      const v1 = { name: 'job', version: 1, fields: { a: { type: 'string' } } };
      expect(
        (
          await fetch(`${srv.url}/v1/types/job`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${token}` },
            body: JSON.stringify(v1),
          })
        ).status,
      ).toBe(200);
      expect(await call('PUT', '/v1/types/job', JSON.stringify({ ...v1, version: 3 }))).toMatchObject({
        status: 409,
        body: { code: 'type_version', path: 'version', rule: 'version-order' },
      });
      expect(
        await call('PUT', '/v1/types/job', JSON.stringify({ ...v1, fields: { a: { type: 'nope' } } })),
      ).toMatchObject({
        status: 422,
        body: { code: 'invalid_type' },
      });
    });
  });
});
