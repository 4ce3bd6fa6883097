// Bundled by esbuild for the Chromium test page: exposes the real client on `window`.
import {
  createDatabase,
  IndexedDbStorage,
  requestStoragePersistence,
  storagePersistence,
} from '@fieldsync/client';

(globalThis as unknown as { fieldsync: unknown }).fieldsync = {
  createDatabase,
  IndexedDbStorage,
  requestStoragePersistence,
  storagePersistence,
};
