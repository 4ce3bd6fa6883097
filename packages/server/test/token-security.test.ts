import { connect } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SECRET, hmacVerifier, signToken } from '../src/auth/jwt.js';
import { isLoopbackHost } from '../src/http/loopback.js';
import { startServer } from '../src/server.js';
import type { StorageEngine } from '../src/storage/StorageEngine.js';
import { SECRET, testServer, type TestServer } from '../../../testing/server/harness.js';

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

/** Sends raw bytes over a real socket and returns everything the server answered. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (b) => (answer += b.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', (e) => (answer ? resolve(answer) : reject(e)));
    socket.write(request);
  });
}

describe('tokens and secrets', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer();
  });
  afterAll(() => srv.close());

  it('a token without "exp" is refused: 401 JSON token_without_exp', async () => {
    const forever = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('anna')
      .sign(new TextEncoder().encode(SECRET));
    const res = await fetch(`${srv.url}/v1/pull`, { headers: { authorization: `Bearer ${forever}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
    const err = await errorOf(res);
    expect(err.code).toBe('token_without_exp');
    expect(err.message).toContain('"exp"');
    // The same claims with an expiry pass.
    const ok = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
    expect((await fetch(`${srv.url}/v1/pull`, { headers: { authorization: `Bearer ${ok}` } })).status).toBe(
      200,
    );
  });

  it('secrets shorter than 32 bytes are refused when verifying and signing', async () => {
    for (const weak of ['', 'a', 'x'.repeat(31), 'é'.repeat(15)]) {
      expect(() => hmacVerifier(weak), weak).toThrow(/at least 32 bytes/);
      await expect(signToken(weak, { user: 'a', tenant: 't' })).rejects.toThrow(/at least 32 bytes/);
    }
    expect(() => hmacVerifier('é'.repeat(16))).not.toThrow(); // 32 bytes of UTF-8
  });

  it('startServer refuses the public development secret on a non-loopback host, before opening anything', async () => {
    let opened = 0;
    const storage = (): StorageEngine => {
      opened++;
      throw new Error('must not be opened');
    };
    for (const host of ['0.0.0.0', '::', '192.168.1.10'])
      await expect(startServer({ storage, secret: DEV_SECRET, host, port: 0 })).rejects.toThrow(
        /public development secret/,
      );
    expect(opened).toBe(0);
  });

  it('a 100 KB Authorization header gets a JSON 431 over a real socket; the server keeps serving', async () => {
    const port = Number(new URL(srv.url).port);
    const answer = await rawExchange(
      port,
      `GET /v1/pull HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\n\r\n`,
    );
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(body)).toEqual({
      error: { code: 'headers_too_large', message: 'request headers exceed 16384 bytes' },
    });
    const garbage = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1] ?? '')).toMatchObject({ error: { code: 'bad_request' } });
    expect((await fetch(`${srv.url}/v1/health`)).status).toBe(200);
  });

  it('loopback means 127.0.0.0/8, ::1 and localhost', () => {
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
    ])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      '::2',
      'example.com',
      'localhost.example.com',
      '',
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
