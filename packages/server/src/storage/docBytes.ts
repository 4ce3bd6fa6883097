/**
 * The size a document row counts for in a page's byte budget (`PullQuery.maxBytes`): the UTF-8
 * bytes of its `state` and `view` as the server sends them. Both engines use this one meaning;
 * PostgreSQL stores it with each row (`pgDocBytes.ts`), SQLite computes it while reading.
 */
export function docBytes(state: string, view: string): number {
  return Buffer.byteLength(state) + Buffer.byteLength(view);
}
