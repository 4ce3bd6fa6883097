import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

// Global setup of the vitest `app` project (plain JS: a .ts file here is compiled with the app's
// tsconfig, which extends the generated .svelte-kit/tsconfig.json). A fresh clone has no
// .svelte-kit yet (it is generated, gitignored, and only a build or `svelte-kit sync` makes it),
// so `npm install && npm test` failed to load every app test; generate it once when missing.
export default function svelteKitSync() {
  const app = resolve(import.meta.dirname, '..');
  if (existsSync(resolve(app, '.svelte-kit/tsconfig.json'))) return;
  execFileSync(resolve(app, '../../node_modules/.bin/svelte-kit'), ['sync'], { cwd: app, stdio: 'inherit' });
}
