import type { SyncStateIndex } from './SyncStateIndex.js';

/**
 * What every write returns: the local promise (resolves once the write is durable on this device,
 * as before) carrying `server`, a second promise that resolves once the server has stored every
 * change of the write — across reconnects and retries — and rejects with `RejectedWriteError`
 * (the server's typed reason) when it sets one aside, or with the local error if the write
 * failed on the device. Like Zero's mutation `.server`.
 *
 * ```ts
 * const id = await orders.insert({ title: 'Pump' }); // on this device
 * await orders.update(id, { $set: { status: 'done' } }).server; // and on the server
 * ```
 *
 * `server` is created on first access, so a write nobody asks about leaves no promise that could
 * reject unhandled. Awaiting it after a restart is not possible (promises do not survive one):
 * `db.syncState.whenSynced(id)` and `db.syncState.of(id)` answer from the persisted outbox.
 */
export type WritePromise<T> = Promise<T> & { readonly server: Promise<void> };

/**
 * Runs a write (`run` makes it synchronously and returns its local promise) while recording the
 * change ids it queues, and returns the local promise with `server` attached. In a follower tab
 * the changes are made by the leader and mirrored here before the local promise resolves, so
 * recording lasts until then (and also records changes other tabs queued meanwhile: `server`
 * may then wait for a little more than this write).
 */
export function trackWrite<T>(
  index: SyncStateIndex,
  inFlight: boolean,
  run: () => Promise<T>,
): WritePromise<T> {
  const frame: string[] = [];
  index.openFrame(frame);
  let local: Promise<T>;
  try {
    local = run();
  } catch (e) {
    index.closeFrame(frame);
    throw e;
  }
  if (!inFlight) index.closeFrame(frame);
  else {
    const close = (): void => index.closeFrame(frame);
    void local.then(close, close);
  }
  let server: Promise<void> | undefined;
  void Object.defineProperty(local, 'server', {
    get: () => (server ??= local.then(() => index.ackOf(frame))),
  });
  return local as WritePromise<T>;
}
