import pg from 'pg';
import { ALL_TENANTS, type CommittedBatch, type StoredDoc } from '../StorageEngine.js';

const localKey = (tenant: string, from: number): string => `${tenant}\u0000${from}`;

/**
 * Committed writes of every process sharing the schema, delivered to `onCommit` listeners in
 * commit order: a write's transaction issues `pg_notify` with its tenant and sequence range, and
 * PostgreSQL delivers notifications only after commit, in commit order, to every listener —
 * including this process, so local and remote writes take the same path to SSE clients. A batch
 * this process wrote carries its documents (kept here until its notification arrives).
 */
export class PgCommitFeed {
  readonly #url: string;
  readonly #channel: string;
  readonly #listeners = new Set<(batch: CommittedBatch) => void>();
  /** Documents this process wrote, keyed by tenant and first sequence of the batch, until NOTIFY arrives. */
  readonly #local = new Map<string, StoredDoc[]>();
  #listen: pg.Client | undefined;
  #closed = false;

  constructor(url: string, channel: string) {
    this.#url = url;
    this.#channel = channel;
  }

  /** Opens the LISTEN connection; a failure of the first attempt is thrown, later ones retried. */
  async start(initial = true): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    // If the listening connection dies (database restart, network), reconnect. Notifications sent
    // meanwhile are lost, so after reconnecting we announce the current head: the SSE hub sees
    // the sequence gap and reads the missed range from the tables.
    let retried = false;
    const retry = (): void => {
      if (retried || this.#closed) return;
      retried = true;
      if (this.#listen === client) this.#listen = undefined;
      this.#local.clear();
      void client.end().catch(() => undefined);
      setTimeout(() => void this.start(false).catch(() => undefined), 1000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (msg) => {
      if (msg.channel !== this.#channel || !msg.payload) return;
      const { t, f, to } = JSON.parse(msg.payload) as { t: string; f: number; to: number };
      const docs = this.#local.get(localKey(t, f));
      this.#local.delete(localKey(t, f));
      this.#emit(docs ? { tenant: t, from: f, to, docs } : { tenant: t, from: f, to });
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (e) {
      if (initial) throw e;
      retry();
      return;
    }
    this.#listen = client;
    // Listeners re-read every tenant they serve from its head (see SseHub).
    if (!initial) this.#emit({ tenant: ALL_TENANTS, from: 0, to: 0 });
  }

  #emit(batch: CommittedBatch): void {
    for (const l of this.#listeners) l(batch);
  }

  /**
   * Keeps the documents of a write this process is committing (sequences from `from`) for its
   * notification; returns the key to `forget` them with if the write fails.
   */
  remember(tenant: string, from: number, docs: StoredDoc[]): string {
    const key = localKey(tenant, from);
    this.#local.set(key, docs);
    if (this.#local.size > 10_000) this.#local.clear(); // no listener draining it: bounded memory
    return key;
  }

  forget(key: string): void {
    this.#local.delete(key);
  }

  onCommit(listener: (batch: CommittedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The backend pid of the LISTEN connection (tests simulate losing it). */
  async listenerPid(): Promise<number | undefined> {
    const res = await this.#listen?.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return res?.rows[0]?.pid;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#listen?.end().catch(() => undefined);
  }
}
