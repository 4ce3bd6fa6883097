// Bundled by esbuild for the Chromium test page: exposes the real client on `window`.
import { createDatabase, IndexedDbStorage } from '../../src/index.js';

(globalThis as unknown as { fieldsync: unknown }).fieldsync = { createDatabase, IndexedDbStorage };
