import { defineConfig } from 'vitest/config';

// Vitest transforms the TypeScript that tests import, but Node loads a worker thread's modules
// itself (the SQLite writer and checkpoint threads): this preload lets a worker started from
// `src/` load `.ts` modules (scripts/vitest/registerWorkerTs.mjs; docs/internals.md, "Tests").
const workerTs = ['--import', new URL('./scripts/vitest/registerWorkerTs.mjs', import.meta.url).href];

// One runner for the whole repository. Tests import workspace packages through the
// `source` export condition, so they run against `src/` without a prior build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'packages/*/test/**/*.test.tsx',
      'chaos/**/*.test.js',
      // The app's plain-TypeScript logic (caret mapping, generated forms, tokens); its screens are
      // tested in Chromium by the `app` project below.
      'apps/workorders/src/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    execArgv: workerTs,
    projects: [
      // Everything runs with the settings above, except the Svelte binding, which needs the
      // Svelte compiler plugin and the browser runtime (packages/svelte/vitest.config.js).
      {
        extends: true,
        test: { name: 'node', exclude: ['**/node_modules/**', '**/dist/**', 'packages/svelte/**'] },
      },
      'packages/svelte/vitest.config.js',
      // Client and server together: real clients syncing through a real server (tests/integration,
      // a workspace that depends on both). Its own project, so `--project integration` runs them.
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          execArgv: workerTs,
        },
      },
      // The work-orders app in real Chromium against a real server (apps/workorders/test). The
      // files share one machine's CPU with a vite build on first run: one file at a time.
      // Not `extends: true`: that would concatenate the root `include`, and every package test
      // would run a second time in this project.
      {
        resolve: { conditions: ['source'] },
        ssr: { resolve: { conditions: ['source'] } },
        test: {
          name: 'app',
          pool: 'forks',
          execArgv: workerTs,
          include: ['apps/workorders/test/**/*.test.ts'],
          globalSetup: ['apps/workorders/test/svelteKitSync.js'],
          exclude: ['**/node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
