import { describe, expect, it } from 'vitest';
import { databaseName, sessionFromToken, SignInError } from './session.js';

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: unknown): string => `${b64url({ alg: 'HS256' })}.${b64url(claims)}.sig`;

describe('sessionFromToken', () => {
  it('reads sub, tenant, role and a non-ASCII name from the payload', () => {
    const s = sessionFromToken(jwt({ sub: 'asa', tenant: 'acme', role: 'admin', name: 'Åsa Öberg' }));
    expect(s.user).toEqual({ id: 'asa', name: 'Åsa Öberg', role: 'admin' });
    expect(databaseName(s)).toBe('fieldsync:acme:asa');
  });

  it('defaults an unknown role to technician and a missing name to the user id', () => {
    expect(sessionFromToken(jwt({ sub: 'ben', tenant: 'demo', role: 'root' })).user).toEqual({
      id: 'ben',
      name: 'ben',
      role: 'technician',
    });
  });

  it('refuses tokens it cannot open a database for', () => {
    expect(() => sessionFromToken('not-a-jwt')).toThrow(SignInError);
    expect(() => sessionFromToken(jwt({ sub: 'ben' }))).toThrow(/tenant/);
    expect(() => sessionFromToken('a.!!!.c')).toThrow(SignInError);
  });
});
