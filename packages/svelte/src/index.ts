// Public API of @fieldsync/svelte. Ships `.svelte.js` modules with runes: they are compiled by
// the consuming app's Svelte compiler (resolved through the `svelte` export condition).
export { liveQuery } from './liveQuery.svelte.js';
export type { LiveQueryState } from './liveQuery.svelte.js';
export { syncStates } from './syncStates.svelte.js';
export type { SyncStatesState } from './syncStates.svelte.js';
