// Preloaded into vitest's test processes (`execArgv` in vitest.config.ts). Vitest transforms the
// TypeScript a test imports, but not the entry of a `worker_threads` Worker, which Node loads
// itself: `new Worker(new URL('./x.js', import.meta.url))` in a source file names a `.js` file
// that exists only in `dist/`. Each worker thread (the preload runs in every thread) registers
// hooks that resolve such a `.js` to its `.ts` source and strip its types with esbuild (already
// installed with vite). The test process's own thread is left alone: vitest handles it.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) register('./workerTsHooks.mjs', import.meta.url);
