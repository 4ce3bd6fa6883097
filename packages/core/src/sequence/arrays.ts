/**
 * In-place insert and remove for the small arrays of the run tree. `Array.prototype.splice`
 * allocates its result array and often a new backing store on every call; these grow the array
 * geometrically through `push` and only move elements, which keeps decoding and editing from
 * producing garbage per operation.
 */
export function insertAt<T>(arr: T[], idx: number, v: T): void {
  let i = arr.length;
  arr.push(v);
  for (; i > idx; i--) arr[i] = arr[i - 1] as T;
  arr[idx] = v;
}

export function removeAt<T>(arr: T[], idx: number): void {
  const n = arr.length - 1;
  for (let i = idx; i < n; i++) arr[i] = arr[i + 1] as T;
  arr.pop();
}
