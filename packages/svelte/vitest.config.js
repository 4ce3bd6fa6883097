import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineProject } from 'vitest/config';

// (Plain .js: it is not part of the package's TypeScript build.)
// The Svelte binding runs through the real Svelte compiler in a DOM (jsdom): runes in
// `.svelte.ts` and the `.svelte` test component are compiled by the plugin, and `browser`
// resolves Svelte's client runtime (the root config's conditions would pick the server build).
export default defineProject({
  plugins: [svelte({ configFile: false })],
  resolve: { conditions: ['source', 'browser'] },
  test: {
    name: 'svelte',
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
