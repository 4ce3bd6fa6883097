import { docToJSON } from '@fieldsync/core';
import { describe, expect, it } from 'vitest';
import { createDatabase, MemoryStorage } from '../src/index.js';
import { workOrderType } from './fixtures.js';
import { canonicalState, LogStorage } from './logStorage.js';

/**
 * A pulled document new to this device is stored as the JSON it arrived as, not encoded back
 * (`ReceivedJson`): a work order with a text field cost a `docToJSON` (its text re-encoded) per
 * document of a first sync. Whatever is stored must still reopen to the state in memory.
 */

/** States of a document with a text, an object and a log field, written on another device. */
async function remoteStates(n: number): Promise<unknown[]> {
  const other = await createDatabase({ name: 'other', storage: new MemoryStorage(), replicaId: 'other' });
  await other.defineType(workOrderType);
  const orders = other.collection('workOrders');
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const id = await orders.insert({
      title: `t${i}`,
      status: 'open',
      address: { city: 'Malmö', zip: `2${i}` },
      body: `Notes of order ${i}.`,
    });
    await orders.update(id, { $push: { notes: `visit ${i}` } });
    out.push(docToJSON(orders.states.get(id)!));
  }
  await other.close();
  return out;
}

describe('received JSON', () => {
  it('a pulled document new here is stored as the JSON it arrived as, and reopens to its state', async () => {
    const received = await remoteStates(3);
    const storage = new LogStorage();
    const db = await createDatabase({ name: 'rx', storage, replicaId: 'rx' });
    await db.defineType(workOrderType);
    await db.applyRemote(received);
    const stored = storage.batches.flatMap((b) => b.docs ?? []);
    expect(stored.map((d) => d.id)).toEqual(received.map((r) => (r as { id: string }).id));
    // The very objects received: nothing was encoded back.
    for (const [i, d] of stored.entries()) expect(d.state).toBe(received[i]);
    const orders = db.collection('workOrders');
    const inMemory = received.map((r) =>
      canonicalState(docToJSON(orders.states.get((r as { id: string }).id)!)),
    );
    await db.close();

    const reopened = await createDatabase({ name: 'rx', storage, replicaId: 'rx' });
    const again = reopened.collection('workOrders');
    expect(
      received.map((r) => canonicalState(docToJSON(again.states.get((r as { id: string }).id)!))),
    ).toEqual(inMemory);
    expect(again.findOne((received[1] as { id: string }).id)?.body).toBe('Notes of order 1.');
    await reopened.close();
  });

  it('a pulled document merged into a local one is stored as the merge', async () => {
    const [first] = await remoteStates(1);
    const id = (first as { id: string }).id;
    const storage = new LogStorage();
    const db = await createDatabase({ name: 'rx2', storage, replicaId: 'rx2' });
    await db.defineType(workOrderType);
    await db.applyRemote([first]);
    const orders = db.collection('workOrders');
    await orders.update(id, { $set: { title: 'local' } });
    // The server's state again, now older than the local one: merged, not adopted.
    await db.applyRemote([first]);
    const last = storage.batches.at(-1)!.docs!.find((d) => d.id === id)!;
    expect(last.state).not.toBe(first);
    expect(canonicalState(last.state)).toBe(canonicalState(docToJSON(orders.states.get(id)!)));
    expect(orders.findOne(id)?.title).toBe('local');
    await db.close();
  });
});
