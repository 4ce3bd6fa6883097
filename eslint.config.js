import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Package boundaries (docs/internals.md): core imports no package of ours; client and server never
 * import each other, in their sources and in their tests (tests that need both live in the
 * tests/integration workspace, which may import both); the bindings build on the client only. A
 * relative import that climbs into another package's folder is refused too, so the boundary cannot
 * be walked around.
 */
const crossPackage = {
  regex: String.raw`^(\.\./)+(packages/)?(core|client|server|svelte|react)/(src|dist|test)(/|$)`,
  message: 'Import another workspace package by its name, never by a relative path into its folder.',
};
const boundary = (files, banned, why) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [{ group: banned, message: why }, crossPackage],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'bench/**',
      'apps/**/.svelte-kit/**',
      'apps/**/build/**',
      '**/*.svelte',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node scripts (CI helpers, package bin entries).
    files: ['.ci/**/*.mjs', 'packages/*/bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['packages/**/*.ts', 'packages/**/*.tsx', 'tests/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only' },
        { object: 'describe', property: 'only' },
        { object: 'test', property: 'only' },
      ],
    },
  },
  {
    // The chaos suite is plain JS with JSDoc types, checked by `tsc -p chaos` (checkJs), which
    // also resolves every global name, so no-undef (which knows no Node globals) is off.
    files: ['chaos/**/*.js'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  boundary(['packages/core/**/*.ts'], ['@fieldsync/*'], 'core has no dependency on any fieldsync package.'),
  boundary(
    ['packages/client/**/*.ts'],
    ['@fieldsync/server', '@fieldsync/server/*', '@fieldsync/svelte', '@fieldsync/react'],
    'The client never imports the server or a binding.',
  ),
  boundary(
    ['packages/server/**/*.ts'],
    [
      '@fieldsync/client',
      '@fieldsync/client/*',
      '@fieldsync/svelte',
      '@fieldsync/react',
      // Test helpers that load the client (a bundled client page).
      '**/testing/browser/*',
    ],
    'The server and its tests never import the client or a binding; a test that needs client and server belongs in tests/integration.',
  ),
  // Server domain code never depends on the transport: only http/ (and the demo's routes) map to
  // HTTP (docs/internals.md, "Server errors"). Repeats the server's bans, since a later
  // no-restricted-imports replaces an earlier one for the same file.
  boundary(
    ['packages/server/src/{sync,storage,history,auth,realtime,limits,validation}/**/*.ts'],
    ['@fieldsync/client', '@fieldsync/client/*', '@fieldsync/svelte', '@fieldsync/react', '**/http/*'],
    'Server domain code (sync, storage, history, auth, realtime, limits, validation) never imports http/; shared checks live in validation/.',
  ),
  boundary(
    ['testing/server/**/*.ts'],
    ['@fieldsync/client', '@fieldsync/client/*', '@fieldsync/svelte', '@fieldsync/react'],
    "The server's test helpers are used by the server's own tests, which never load the client.",
  ),
  boundary(
    ['tests/integration/**/*.ts'],
    ['@fieldsync/svelte', '@fieldsync/react'],
    'Integration tests use the client and the server; the bindings have their own tests.',
  ),
  boundary(
    ['packages/svelte/**/*.ts', 'packages/react/**/*.ts', 'packages/react/**/*.tsx'],
    ['@fieldsync/core', '@fieldsync/core/*', '@fieldsync/server', '@fieldsync/server/*'],
    'Bindings build on @fieldsync/client only.',
  ),
);
