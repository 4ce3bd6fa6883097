import { describe, expect, it } from 'vitest';
import type { CommittedBatch, StorageEngine, StoredDoc } from '../src/storage/StorageEngine.js';
import { SseHub, type Subscriber } from '../src/realtime/SseHub.js';
import { Visibility } from '../src/sync/SyncFilter.js';

/** Just enough of a storage engine for the hub: commits are emitted by the test. */
function fakeStorage(): { storage: StorageEngine; emit: (b: CommittedBatch) => void } {
  const listeners = new Set<(b: CommittedBatch) => void>();
  const storage = {
    onCommit: (l: (b: CommittedBatch) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as StorageEngine;
  return { storage, emit: (b) => listeners.forEach((l) => l(b)) };
}

const doc = (seq: number): StoredDoc => ({
  id: `doc${seq}`,
  type: 'workOrder',
  seq,
  deleted: false,
  state: JSON.stringify({ id: `doc${seq}` }),
  view: JSON.stringify({ id: `doc${seq}`, title: `t${seq}` }),
});

/** A live stream of tenant `t` recording what it was sent. */
function stream(cursor: number): Subscriber & { sent: string[] } {
  const user = { id: 'u', tenant: 't', claims: {} };
  const sent: string[] = [];
  return {
    tenant: 't',
    user: 'u',
    visibility: new Visibility(user, {}, undefined),
    cursor,
    sent,
    write: (chunk) => (sent.push(chunk.toString()), true),
    close: () => undefined,
    drained: () => Promise.resolve(true),
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const ids = (events: string[]): number[] => events.map((e) => Number(/^id: (\d+)/.exec(e)?.[1]));

describe('SSE hub: batches committed together', () => {
  it('reach a live stream as one event (one write), every document once, in sequence order', async () => {
    const { storage, emit } = fakeStorage();
    const hub = new SseHub(storage, 60_000);
    const s = stream(0);
    hub.add(s);
    for (let seq = 1; seq <= 3; seq++) emit({ tenant: 't', from: seq, to: seq, docs: [doc(seq)] });
    await turn();
    await turn();
    expect(s.sent).toHaveLength(1);
    expect(ids(s.sent)).toEqual([3]);
    const data = JSON.parse(s.sent[0]!.split('\ndata: ')[1]!) as { docs: Array<{ id: string }> };
    expect(data.docs.map((d) => d.id)).toEqual(['doc1', 'doc2', 'doc3']);
    expect(s.cursor).toBe(3);
    await hub.close();
  });

  it('are not merged across a gap; a stream already past part of a batch gets only the rest', async () => {
    const { storage, emit } = fakeStorage();
    const hub = new SseHub(storage, 60_000);
    const s = stream(0);
    const ahead = stream(2);
    hub.add(s);
    hub.add(ahead);
    emit({ tenant: 't', from: 1, to: 2, docs: [doc(1), doc(2)] });
    emit({ tenant: 't', from: 3, to: 3, docs: [doc(3)] });
    await turn();
    await turn();
    expect(ids(s.sent)).toEqual([3]);
    expect(ids(ahead.sent)).toEqual([3]);
    const data = JSON.parse(ahead.sent[0]!.split('\ndata: ')[1]!) as { docs: Array<{ id: string }> };
    expect(data.docs.map((d) => d.id)).toEqual(['doc3']);
    // A batch committed later is an event of its own.
    emit({ tenant: 't', from: 4, to: 4, docs: [doc(4)] });
    await turn();
    await turn();
    expect(ids(s.sent)).toEqual([3, 4]);
    await hub.close();
  });
  it('never sends a stream sequences past a gap in what it holds: it closes the stream instead', async () => {
    const { storage, emit } = fakeStorage();
    const hub = new SseHub(storage, 60_000);
    // A live stream at 5 while the hub's first batch starts at 10 (as if 6..9 had been missed).
    let closed = false;
    const s = { ...stream(5), close: () => void (closed = true) };
    hub.add(s);
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (m: string) => void warned.push(m);
    try {
      emit({ tenant: 't', from: 10, to: 12, docs: [doc(10), doc(11), doc(12)] });
      await turn();
      await turn();
    } finally {
      console.warn = warn;
    }
    expect(s.sent).toEqual([]);
    expect(closed).toBe(true);
    expect(hub.size).toBe(0);
    expect(warned.join()).toMatch(/at 5 was to receive from 10/);
    await hub.close();
  });
});
