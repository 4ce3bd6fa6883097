import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/**
 * Test servers for the client's handling of malformed answers: a real `fieldsync serve` process
 * (the CLI from the server's build, started as a child so the client package needs no
 * dependency on the server), and a node:http server in front of it that answers chosen
 * requests with garbage and forwards every other one, byte for byte, to the real server.
 */

const BIN = resolve(import.meta.dirname, '../../../server/bin/fieldsync.js');
/** The HS256 secret of the child servers (and of the tokens minted for them). */
export const SECRET = 'garbage-test-secret-0123456789-abcdefghijklmnop';
const env = (): NodeJS.ProcessEnv => ({ ...process.env, FIELDSYNC_JWT_SECRET: SECRET });

export interface CliServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts `fieldsync serve --data DIR` (port 0 unless given) and resolves once it listens. */
export async function serveCli(data: string, port = 0): Promise<CliServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'serve', '--port', String(port), '--data', data],
    {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${out}`)), 60_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        done(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}: ${out}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** A token of `user` in `tenant`, minted by `fieldsync token`. */
export function cliToken(user: string, tenant: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [BIN, 'token', '--user', user, '--tenant', tenant],
      { env: env() },
      (err, stdout) => (err ? fail(err) : done(stdout.trim())),
    );
  });
}

/** Answers one request with garbage; gets the request body (JSON text or '') to shape it. */
export type GarbageAnswer = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface FrontServer {
  url: string;
  port: number;
  /** Answer requests `METHOD /path` (query ignored) with `answer`; undefined: forward them. */
  garbage(route: string, answer: GarbageAnswer | undefined): void;
  /** Requests seen per `METHOD /path`, garbage or forwarded. */
  readonly seen: Map<string, number>;
  close(): Promise<void>;
}

/** The node:http front server: garbage where told, the real server (`target`) everywhere else. */
export async function frontServer(target: string): Promise<FrontServer> {
  const plans = new Map<string, GarbageAnswer>();
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').replace(/\?.*/, '')}`.replace(
      /^(PUT \/v1\/types)\/.*/,
      '$1',
    );
    seen.set(route, (seen.get(route) ?? 0) + 1);
    const plan = plans.get(route);
    if (!plan) return forward(target, req, res);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => plan(req, res, body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    garbage: (route, answer) => (answer ? plans.set(route, answer) : plans.delete(route)),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function forward(target: string, req: IncomingMessage, res: ServerResponse): void {
  const up = request(`${target}${req.url ?? ''}`, { method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  res.on('close', () => up.destroy());
  req.pipe(up);
}

/** Sends `body` with `status`, as JSON unless told otherwise, with optional extra headers. */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}
