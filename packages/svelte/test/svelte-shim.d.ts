// Lets tsc type-check tests that import a `.svelte` component (the plugin compiles it at test time).
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, unknown>>;
  export default component;
}
