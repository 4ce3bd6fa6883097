import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/**
 * The editing traces the tests replay, vendored in the repository (see fixtures/README.md for
 * their origin and licence) so that a fresh clone tests without `../shared/bench-data`, which
 * stays the benchmarks' data.
 */
export const TRACES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface SequentialTrace {
  startContent: string;
  endContent: string;
  txns: Array<{ patches: Array<[number, number, string]> }>;
}

export interface ConcurrentTrace {
  endContent: string;
  numAgents: number;
  txns: Array<{ parents: number[]; agent: number; patches: Array<[number, number, string]> }>;
}

export function loadTrace<T>(relative: string): T {
  return JSON.parse(gunzipSync(readFileSync(join(TRACES, relative))).toString('utf8')) as T;
}
