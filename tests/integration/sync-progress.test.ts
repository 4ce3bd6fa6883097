import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createDatabase,
  MemoryStorage,
  type CommitBatch,
  type Database,
  type SyncProgress,
} from '@fieldsync/client';
import { WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';

/** Issue 15: a long catch-up pull reports its progress (documents, pages, fraction of the head). */
let srv: TestServer;
beforeAll(async () => {
  srv = await testServer();
});
afterAll(async () => {
  await srv.close();
});

/** A device that has pushed 2,500 work orders to `tenant` (and stays open, to be closed). */
async function writerOf2500(tenant: string): Promise<Database> {
  const writer = await createDatabase({
    name: 'writer',
    sync: { url: srv.url, token: await srv.token('writer', tenant), autoStart: false, live: false },
  });
  await writer.defineType(WORK_ORDER);
  await writer
    .collection('workOrder')
    .insertMany(Array.from({ length: 2500 }, (_, i) => ({ title: `wo ${i}` })));
  await writer.sync!.flush();
  return writer;
}

it('a first sync of 2,500 documents in pages of 1,000 reports each page, ending at 1, then no progress', async () => {
  const writer = await writerOf2500('acme');

  const reader = await createDatabase({
    name: 'reader',
    sync: {
      url: srv.url,
      token: await srv.token('reader', 'acme'),
      autoStart: false,
      live: false,
      pullLimit: 1000,
    },
  });
  const seen: Array<SyncProgress | undefined> = [];
  reader.sync!.subscribe((s) => {
    if (s.progress !== seen.at(-1)) seen.push(s.progress);
  });
  await reader.sync!.flush();
  // The first request (the type push or the first pull) told the head, so fractions are known.
  const during = seen.filter((p): p is SyncProgress => p !== undefined && p.pages > 0);
  expect(during.map((p) => [p.docs, p.pages])).toEqual([
    [1000, 1],
    [2000, 2],
    [2500, 3],
  ]);
  const fractions = during.map((p) => p.fraction as number);
  expect(fractions.every((f) => f > 0 && f <= 1)).toBe(true);
  expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  expect(fractions[0]).toBeLessThan(1);
  expect(fractions.at(-1)).toBe(1);
  expect(reader.sync!.status.progress).toBeUndefined();
  expect(reader.collection('workOrder').find({}).count()).toBe(2500);
  await writer.close();
  await reader.close();
});

it('stores each pulled page with its cursor in one commit, never the cursor alone', async () => {
  const writer = await writerOf2500('pages');

  /** Serialized storage (a copy per commit, as IndexedDB) that keeps every batch it commits. */
  class RecordingStorage extends MemoryStorage {
    override readonly keepsLiveState = false;
    readonly batches: CommitBatch[] = [];
    override async commit(batch: CommitBatch): Promise<void> {
      this.batches.push(batch);
      return super.commit(batch);
    }
  }
  const storage = new RecordingStorage();
  const reader = await createDatabase({
    name: 'reader',
    storage,
    sync: {
      url: srv.url,
      token: await srv.token('reader', 'pages'),
      autoStart: false,
      live: false,
      pullLimit: 1000,
    },
  });
  await reader.sync!.flush();
  const cursorOf = (b: CommitBatch) => b.meta?.find(([k]) => k === 'sync:sync.cursor')?.[1];
  const withDocs = storage.batches.filter((b) => (b.docs?.length ?? 0) > 0);
  expect(withDocs.map((b) => b.docs!.length)).toEqual([1000, 1000, 500]);
  // Each page's cursor is in the commit of its documents, and no commit moves it alone.
  const cursors = withDocs.map(cursorOf);
  expect(cursors.every((c) => c !== undefined)).toBe(true);
  expect(cursors.map(Number)).toEqual([...cursors.map(Number)].sort((a, b) => a - b));
  expect(storage.batches.filter((b) => cursorOf(b) !== undefined && !b.docs?.length)).toEqual([]);
  await reader.close();
  // Reopened, it resumes at the last page's cursor: nothing more to pull.
  const again = await createDatabase({
    name: 'reader',
    storage,
    sync: {
      url: srv.url,
      token: await srv.token('reader', 'pages'),
      autoStart: false,
      live: false,
      pullLimit: 1000,
    },
  });
  expect(await again.getMeta('sync.cursor')).toBe(cursors.at(-1));
  expect(again.collection('workOrder').find({}).count()).toBe(2500);
  await again.sync!.flush();
  expect(storage.batches.filter((b) => (b.docs?.length ?? 0) > 0)).toHaveLength(3);
  await again.close();
  await writer.close();
});
