import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Shared, read-only trace data lives next to the repository: ../shared/bench-data. */
export const BENCH_DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/bench-data');

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
  return JSON.parse(gunzipSync(readFileSync(join(BENCH_DATA, relative))).toString('utf8')) as T;
}
