import net from 'node:net';

/**
 * @typedef {'open' | 'cut' | 'blackhole'} ProxyMode
 * @typedef {{ host: string; port: number }} Target
 */

/**
 * A TCP proxy between one client and the server(s), controlled by the suite (node:net):
 *
 * - `delay(ms)`: every chunk, both directions, arrives `ms` later (order kept);
 * - `drop()`: resets every open connection (the client sees ECONNRESET mid-request or mid-stream);
 * - mode `cut`: resets open connections and refuses new ones, like a device out of coverage;
 * - mode `blackhole`: accepts connections but forwards nothing, and stops forwarding on the open
 *   ones, keeping every socket open — the half-open network of a tunnel or a lost NAT mapping.
 *   Connections black-holed stay dead after the mode returns to `open` (the mapping is gone for
 *   good); only new connections work again. A client must notice them by itself.
 *
 * Listens on 127.0.0.1, port 0. The upstream is chosen per connection by `target()` (the current
 * server process, or one of two), so a restarted server on a new port is reached transparently.
 */
export class ChaosProxy {
  /** @param {() => Target | undefined} target */
  constructor(target) {
    this.target = target;
    /** @type {ProxyMode} */
    this.mode = 'open';
    this.delayMs = 0;
    /** @type {Set<Conn>} */
    this.conns = new Set();
    this.stats = { accepted: 0, refused: 0, reset: 0, blackholed: 0 };
    this.server = net.createServer((socket) => this.#accept(socket));
    this.port = 0;
  }

  /** @returns {Promise<number>} the port */
  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve(undefined));
    });
    const addr = this.server.address();
    if (!addr || typeof addr === 'string') throw new Error('proxy did not get a port');
    this.port = addr.port;
    return this.port;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** @param {ProxyMode} mode */
  setMode(mode) {
    this.mode = mode;
    if (mode === 'cut') this.drop();
    if (mode === 'blackhole') for (const c of this.conns) c.blackhole();
  }

  /** @param {number} ms */
  delay(ms) {
    this.delayMs = ms;
  }

  /** Resets every connection that is still forwarding (black-holed ones stay silent). */
  drop() {
    for (const c of [...this.conns]) {
      if (c.dead) continue;
      this.stats.reset++;
      c.reset();
    }
  }

  /** Back to normal for new connections; black-holed connections stay dead. */
  heal() {
    this.mode = 'open';
    this.delayMs = 0;
  }

  /** The open connections, for the run's log when a client did not converge. */
  describe() {
    const now = Date.now();
    return [...this.conns].map(
      (c) =>
        `${c.dead ? 'dead' : 'live'} age=${now - c.at}ms up=${c.bytes[0]}B down=${c.bytes[1]}B ` +
        `idle=${now - c.lastAt}ms upstream=${c.upstream ? (c.upstream.destroyed ? 'closed' : 'open') : 'none'}`,
    );
  }

  async close() {
    for (const c of [...this.conns]) c.reset();
    await new Promise((r) => this.server.close(() => r(undefined)));
  }

  /** @param {net.Socket} socket */
  #accept(socket) {
    socket.on('error', () => undefined);
    if (this.mode === 'cut') {
      this.stats.refused++;
      socket.resetAndDestroy();
      return;
    }
    const conn = new Conn(this, socket);
    this.conns.add(conn);
    if (this.mode === 'blackhole') {
      this.stats.blackholed++;
      conn.blackhole();
      return;
    }
    const target = this.target();
    if (!target) {
      this.stats.refused++;
      conn.reset();
      return;
    }
    this.stats.accepted++;
    conn.connect(target);
  }
}

/** One proxied connection: client socket, upstream socket, and the delayed pipes between them. */
class Conn {
  /**
   * @param {ChaosProxy} proxy
   * @param {net.Socket} client
   */
  constructor(proxy, client) {
    this.proxy = proxy;
    this.client = client;
    /** @type {net.Socket | undefined} */
    this.upstream = undefined;
    this.dead = false;
    this.closed = false;
    this.at = Date.now();
    this.lastAt = this.at;
    /** @type {[number, number]} bytes forwarded client → server, server → client */
    this.bytes = [0, 0];
    client.on('close', () => {
      this.upstream?.destroy();
      this.#closed();
    });
  }

  /** @param {Target} target */
  connect(target) {
    const up = net.connect(target.port, target.host);
    this.upstream = up;
    up.on('error', () => undefined);
    this.#pipe(this.client, up, 0);
    this.#pipe(up, this.client, 1);
    // The server went away (killed, restarted): the client sees the connection reset, unless
    // this connection is black-holed, where nothing is ever seen again.
    up.on('close', () => {
      if (!this.dead) this.reset();
    });
  }

  /**
   * Forwards `from` → `to`, each chunk delayed by the proxy's current delay, order preserved.
   * @param {net.Socket} from
   * @param {net.Socket} to
   * @param {0 | 1} dir
   */
  #pipe(from, to, dir) {
    let lastDue = 0;
    from.on('data', (chunk) => {
      if (this.dead) return;
      this.bytes[dir] += chunk.length;
      this.lastAt = Date.now();
      const ms = this.proxy.delayMs;
      if (ms <= 0 && lastDue <= Date.now()) {
        to.write(chunk);
        return;
      }
      const due = Math.max(Date.now() + ms, lastDue);
      lastDue = due;
      setTimeout(() => {
        if (!this.dead && !to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
    from.on('end', () => {
      if (this.dead) return;
      const wait = Math.max(0, lastDue - Date.now());
      setTimeout(() => {
        if (!this.dead && !to.destroyed) to.end();
      }, wait);
    });
  }

  /** Stops forwarding for good, keeps both ends open; what the client sends is read and dropped. */
  blackhole() {
    if (this.dead) return;
    this.dead = true;
    this.client.on('data', () => undefined);
    this.client.resume();
    // The server's side stays open too and is no longer read: what it writes piles up in its
    // socket buffers, as on a real half-open connection, until it notices by itself.
    this.upstream?.pause();
  }

  /** Resets both ends (RST to the client). */
  reset() {
    this.dead = true;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream?.destroy();
    this.#closed();
  }

  #closed() {
    if (this.closed) return;
    this.closed = true;
    this.proxy.conns.delete(this);
  }
}
