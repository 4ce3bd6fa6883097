import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * A static single-page app: every route renders in the browser (no SSR of user data), and any
 * path the server does not know falls back to index.html, which the service worker also serves
 * offline.
 */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    version: { pollInterval: 0 },
  },
};
