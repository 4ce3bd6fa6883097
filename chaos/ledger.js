import { createWriteStream } from 'node:fs';

/**
 * @typedef {import('./writes.js').WriteIntent & {
 *   client: number;
 *   id?: string;
 *   made?: boolean;
 *   failed?: string;
 *   durable?: boolean;
 *   acked?: boolean;
 *   ackedAt?: number;
 * }} WriteRecord
 */

/**
 * The suite's own log of writes, kept by the parent from what the client processes report, and
 * appended to `ledger.jsonl` in the run directory as it happens. Independent of the client's and
 * the server's storage: it is what the final state is checked against.
 *
 * A write is announced (`intent`) before the client makes it, then `wrote` (with its change id,
 * which is its stamp), `durable` (the local write resolved) and `ack` (the server answered ok or
 * duplicate for that change id, reported from the client's outbox). A client killed between
 * `intent` and `wrote` leaves a write that may or may not exist; its value is still known, so it
 * is accepted if it shows up and not required if it does not.
 */
export class Ledger {
  /** @param {string} file */
  constructor(file) {
    this.out = createWriteStream(file, { flags: 'a' });
    /** @type {Map<string, WriteRecord>} */
    this.writes = new Map();
    /** @type {Map<string, WriteRecord>} */
    this.byId = new Map();
    /** @type {Map<number, number>} */
    this.nextSeqs = new Map();
    /** Acknowledged change ids no write of the log had (see `unmapped` in the report). */
    this.unmappedAcks = 0;
    this.errors = /** @type {string[]} */ ([]);
  }

  /**
   * @param {number} client
   * @param {number} seq
   */
  static key(client, seq) {
    return `${client}:${seq}`;
  }

  /** @param {number} client */
  nextSeq(client) {
    return this.nextSeqs.get(client) ?? 0;
  }

  /**
   * Records one message of client `client`.
   * @param {number} client
   * @param {import('./clientHandle.js').Message} msg
   */
  record(client, msg) {
    const at = Date.now();
    if (
      msg.t === 'intent' ||
      msg.t === 'wrote' ||
      msg.t === 'failed' ||
      msg.t === 'durable' ||
      msg.t === 'ack'
    )
      this.out.write(JSON.stringify({ at, client, ...msg }) + '\n');
    switch (msg.t) {
      case 'intent': {
        const w = /** @type {import('./writes.js').WriteIntent} */ (msg['w']);
        this.writes.set(Ledger.key(client, w.seq), { ...w, client });
        this.nextSeqs.set(client, Math.max(this.nextSeq(client), w.seq + 1));
        return;
      }
      case 'wrote': {
        const w = this.writes.get(Ledger.key(client, Number(msg['seq'])));
        if (!w) return;
        w.id = String(msg['id']);
        w.made = true;
        this.byId.set(w.id, w);
        return;
      }
      case 'failed': {
        const w = this.writes.get(Ledger.key(client, Number(msg['seq'])));
        if (w) w.failed = String(msg['error']);
        return;
      }
      case 'durable': {
        const w = this.writes.get(Ledger.key(client, Number(msg['seq'])));
        if (w) w.durable = true;
        return;
      }
      case 'ack':
        for (const id of /** @type {string[]} */ (msg['ids'])) {
          const w = this.byId.get(id);
          if (!w) this.unmappedAcks++;
          else if (!w.acked) {
            w.acked = true;
            w.ackedAt = at;
          }
        }
        return;
      case 'quiet':
        this.nextSeqs.set(client, Math.max(this.nextSeq(client), Number(msg['seq'])));
        return;
      case 'error':
        this.errors.push(`client ${client}: ${String(msg['message'])}`);
        this.out.write(JSON.stringify({ at, client, ...msg }) + '\n');
        return;
    }
  }

  /** @param {string} line */
  note(line) {
    this.out.write(JSON.stringify({ at: Date.now(), note: line }) + '\n');
  }

  counts() {
    let made = 0;
    let acked = 0;
    let durable = 0;
    for (const w of this.writes.values()) {
      if (w.made) made++;
      if (w.acked) acked++;
      if (w.durable) durable++;
    }
    return { intents: this.writes.size, made, acked, durable };
  }

  async close() {
    await new Promise((r) => this.out.end(r));
  }
}
