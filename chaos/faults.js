/**
 * @typedef {{
 *   tickMs: number;
 *   maxFaulted: number;
 *   cut: number; blackhole: number; delay: number; drop: number; clientKill: number;
 *   serverKill: boolean;
 *   serverKillEveryMs: [number, number];
 *   serverDownMs: [number, number];
 * }} FaultRates
 * @typedef {{
 *   proxies: import('./proxy.js').ChaosProxy[];
 *   clients: import('./clientHandle.js').ClientHandle[];
 *   servers: import('./servers.js').ServerPool;
 *   log: (line: string) => void;
 * }} FaultTargets
 */

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Injects faults at seeded random moments until `stop()`: per client, partitions (cut), half-open
 * black holes, delays, connection resets and SIGKILLs with a reopen; for the server, SIGKILLs
 * with a restart (one process at a time when there are several). At most `maxFaulted` clients
 * are under a fault at once, so the rest keep syncing with each other.
 */
export class FaultScheduler {
  /**
   * @param {import('./random.js').Random} rng
   * @param {FaultRates} rates
   * @param {FaultTargets} t
   */
  constructor(rng, rates, t) {
    this.rng = rng;
    this.rates = rates;
    this.t = t;
    this.running = false;
    /** @type {Set<number>} */
    this.faulted = new Set();
    /** @type {Promise<unknown>[]} */
    this.pending = [];
    this.counts = { cut: 0, blackhole: 0, delay: 0, drop: 0, clientKill: 0, serverKill: 0 };
    /** @type {string[]} */
    this.errors = [];
    /**
     * Server operations at fixed times (backup, restore), run by the server loop so that they never
     * overlap a server kill.
     * @type {Array<{ at: number; name: string; run: () => Promise<void>; done?: boolean }>}
     */
    this.serverEvents = [];
  }

  get partitions() {
    return this.counts.cut + this.counts.blackhole;
  }

  start() {
    this.running = true;
    this.loop = this.#clientLoop();
    this.serverLoop = this.#serverLoop();
  }

  /** Stops injecting and waits until every fault in progress has ended (clients reopened, servers up). */
  async stop() {
    this.running = false;
    await this.loop;
    await this.serverLoop;
    await Promise.all(this.pending);
  }

  async #clientLoop() {
    const r = this.rates;
    while (this.running) {
      await sleep(r.tickMs);
      if (!this.running) break;
      const free = this.t.clients.map((_, i) => i).filter((i) => !this.faulted.has(i));
      if (free.length === 0 || this.faulted.size >= r.maxFaulted) continue;
      const i = this.rng.pick(free);
      const kind = this.rng.weighted({
        cut: r.cut,
        blackhole: r.blackhole,
        delay: r.delay,
        drop: r.drop,
        clientKill: r.clientKill,
        none: Math.max(0, 1 - r.cut - r.blackhole - r.delay - r.drop - r.clientKill),
      });
      if (kind === 'none') continue;
      this.counts[kind]++;
      this.faulted.add(i);
      const done = this.#inject(kind, i)
        .catch((e) => this.errors.push(`${kind} of client ${i}: ${String(e)}`))
        .finally(() => this.faulted.delete(i));
      this.pending.push(done);
    }
  }

  /**
   * @param {'cut' | 'blackhole' | 'delay' | 'drop' | 'clientKill'} kind
   * @param {number} i
   */
  async #inject(kind, i) {
    const proxy = /** @type {import('./proxy.js').ChaosProxy} */ (this.t.proxies[i]);
    const client = /** @type {import('./clientHandle.js').ClientHandle} */ (this.t.clients[i]);
    const rng = this.rng;
    switch (kind) {
      case 'cut': {
        const ms = rng.int(1000, 8000);
        this.t.log(`fault: client ${i} cut off for ${ms} ms`);
        proxy.setMode('cut');
        await sleep(ms);
        proxy.heal();
        return;
      }
      case 'blackhole': {
        const ms = rng.int(2000, 10_000);
        this.t.log(`fault: client ${i} black-holed for ${ms} ms (its open connections stay dead)`);
        proxy.setMode('blackhole');
        await sleep(ms);
        proxy.heal();
        return;
      }
      case 'delay': {
        const lag = rng.int(20, 800);
        const ms = rng.int(2000, 10_000);
        this.t.log(`fault: client ${i} delayed by ${lag} ms for ${ms} ms`);
        proxy.delay(lag);
        await sleep(ms);
        proxy.delay(0);
        return;
      }
      case 'drop':
        this.t.log(`fault: client ${i} connections reset`);
        proxy.drop();
        await sleep(500);
        return;
      case 'clientKill': {
        const ms = rng.int(300, 3000);
        this.t.log(`fault: client ${i} SIGKILLed, reopened after ${ms} ms`);
        await client.kill();
        await sleep(ms);
        await client.start();
        return;
      }
    }
  }

  async #serverLoop() {
    const r = this.rates;
    const s = this.t.servers;
    const nextKillAt = () => Date.now() + this.rng.int(r.serverKillEveryMs[0], r.serverKillEveryMs[1]);
    let killAt = nextKillAt();
    while (this.running) {
      await sleep(250);
      if (!this.running) break;
      const event = this.serverEvents.find((e) => !e.done && Date.now() >= e.at);
      if (event) {
        event.done = true;
        this.t.log(`server: ${event.name}`);
        try {
          await event.run();
        } catch (e) {
          this.errors.push(`${event.name}: ${String(e)}`);
        }
        continue;
      }
      if (!r.serverKill || Date.now() < killAt) continue;
      killAt = nextKillAt();
      const live = s.live();
      if (live.length === 0) continue;
      const i = this.rng.pick(live);
      const down = this.rng.int(r.serverDownMs[0], r.serverDownMs[1]);
      this.t.log(`fault: server ${i} SIGKILLed, restarted after ${down} ms`);
      this.counts.serverKill++;
      try {
        await s.kill(i);
        await sleep(down);
        await s.start(i);
      } catch (e) {
        this.errors.push(`restart of server ${i}: ${String(e)}`);
      }
    }
    for (const e of this.serverEvents)
      if (!e.done) this.errors.push(`${e.name} did not run before the end of chaos`);
  }
}
