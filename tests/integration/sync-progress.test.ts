import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, type SyncProgress } from '@fieldsync/client';
import { WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';

/** Issue 15: a long catch-up pull reports its progress (documents, pages, fraction of the head). */
let srv: TestServer;
beforeAll(async () => {
  srv = await testServer();
});
afterAll(async () => {
  await srv.close();
});

it('a first sync of 2,500 documents in pages of 1,000 reports each page, ending at 1, then no progress', async () => {
  const writer = await createDatabase({
    name: 'writer',
    sync: { url: srv.url, token: await srv.token('writer', 'acme'), autoStart: false, live: false },
  });
  await writer.defineType(WORK_ORDER);
  await writer
    .collection('workOrder')
    .insertMany(Array.from({ length: 2500 }, (_, i) => ({ title: `wo ${i}` })));
  await writer.sync!.flush();

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
