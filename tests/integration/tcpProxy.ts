import { createServer, connect, type Server, type Socket } from 'node:net';

/** How the proxy treats traffic: forward it, swallow it, or refuse it. */
export type ProxyMode = 'open' | 'blackhole' | 'cut';

interface Link {
  client: Socket;
  upstream: Socket;
  /** Dead links never forward again, even after `restore()` (a lost NAT mapping). */
  dead: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 that a test controls, to reproduce what field networks do:
 *
 * - `blackhole()` — a half-open network (tunnel, basement, lost NAT mapping): connections stay
 *   open and new ones are accepted, but no byte goes anywhere, in either direction, and no error
 *   is reported to anyone.
 * - `cut()` — every connection is reset and new ones are refused (airplane mode).
 * - `restore()` — new connections work again. Connections that lived through a black hole stay
 *   dead (their bytes keep vanishing), as after a lost NAT mapping: only a client that notices
 *   and reconnects recovers.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #links = new Set<Link>();
  #mode: ProxyMode = 'open';
  /** Bytes that reached the proxy while black-holed (proof the test really swallowed traffic). */
  swallowed = 0;

  private constructor(
    public targetPort: number,
    server: Server,
  ) {
    this.#server = server;
  }

  /** Sends new connections to another port (a server restarted elsewhere); old ones are reset. */
  retarget(port: number): void {
    this.targetPort = port;
    for (const l of [...this.#links]) {
      l.client.resetAndDestroy();
      l.upstream.destroy();
      this.#links.delete(l);
    }
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(targetPort, server);
    server.on('connection', (s) => proxy.#accept(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const a = this.#server.address();
    if (a === null || typeof a === 'string') throw new Error('proxy not listening');
    return a.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Open connections (client side) right now. */
  get connections(): number {
    return this.#links.size;
  }

  #accept(client: Socket): void {
    if (this.#mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    const link: Link = { client, upstream, dead: this.#mode === 'blackhole' };
    this.#links.add(link);
    const forward = (_from: Socket, to: Socket) => (chunk: Buffer) => {
      if (link.dead || this.#mode !== 'open') {
        this.swallowed += chunk.length;
        return;
      }
      to.write(chunk);
    };
    client.on('data', forward(client, upstream));
    upstream.on('data', forward(upstream, client));
    const close = (): void => {
      this.#links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    // While black-holed nothing is reported: a peer's close or reset vanishes like the bytes.
    client.on('close', () => {
      if (!link.dead) close();
    });
    upstream.on('close', () => {
      if (!link.dead) close();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  /** Half-open: keep every socket, forward nothing, report nothing. */
  blackhole(): void {
    this.#mode = 'blackhole';
    for (const l of this.#links) l.dead = true;
  }

  /** Reset every connection and refuse new ones. */
  cut(): void {
    this.#mode = 'cut';
    for (const l of [...this.#links]) {
      l.client.resetAndDestroy();
      l.upstream.destroy();
      this.#links.delete(l);
    }
  }

  /** New connections are forwarded again (old black-holed ones stay dead). */
  restore(): void {
    this.#mode = 'open';
  }

  async close(): Promise<void> {
    for (const l of this.#links) {
      l.client.destroy();
      l.upstream.destroy();
    }
    this.#links.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
