import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/: each zone names a folder and what it must not import.
 * `import type` counts too: a type that points upward is still an upward dependency.
 */
const COMPOSITION = [
  './src/main.ts',
  './src/server.ts',
  './src/worker-thread.ts',
  './src/worker-threads.ts',
  './src/org-schema-file.ts',
];
const LAYERS = [
  {
    target: ['./src/!(cli)/**', './src/*.ts'],
    from: './src/cli',
    message: 'Nothing imports cli/: the CLI is the top of the program.',
  },
  {
    target: './src/errors',
    from: ['./src/!(errors)/**', './src/*.ts'],
    message: 'errors/ is a leaf: it imports nothing else of bulkwrite.',
  },
  {
    target: './src/csv-format',
    from: ['./src/!(csv-format)/**', './src/*.ts'],
    message: 'csv-format/ is shared by the client and the server: it imports neither.',
  },
  {
    target: './src/domain',
    from: ['./src/!(domain|errors|csv-format)/**', './src/*.ts'],
    message: 'domain/ imports only domain/, errors/ and csv-format/: no adapters, HTTP, jobs or I/O.',
  },
  {
    target: [
      './src/storage',
      './src/blobs',
      './src/csv',
      './src/egress',
      './src/config.ts',
      './src/data-centres.ts',
      './src/log.ts',
      './src/metrics.ts',
    ],
    from: ['./src/api', './src/jobs', './src/auth', './src/client', ...COMPOSITION],
    message: 'Storage, blobs, CSV reading and configuration sit below api/, jobs/ and auth/.',
  },
  {
    target: ['./src/api', './src/jobs', './src/auth'],
    from: './src/storage',
    except: ['./storage.ts'],
    message: 'api/, jobs/ and auth/ use the Storage interface (storage/storage.ts), never an adapter.',
  },
  {
    target: ['./src/api', './src/jobs', './src/auth'],
    from: ['./src/client', ...COMPOSITION],
    message: 'api/, jobs/ and auth/ are composed by server.ts and worker-thread.ts; they do not import them.',
  },
  { target: './src/api', from: './src/jobs', message: 'api/ and jobs/ do not import each other.' },
  { target: './src/jobs', from: './src/api', message: 'api/ and jobs/ do not import each other.' },
  { target: './src/auth', from: ['./src/api', './src/jobs'], message: 'auth/ sits below api/ and jobs/.' },
  {
    target: './src/client',
    from: ['./src/!(client|csv-format)/**', './src/*.ts'],
    message: 'The client (bulkwrite/client) loads only its own files and csv-format/, never server code.',
  },
  {
    target: ['./src/cli/client', './src/cli/!(main).ts'],
    from: ['./src/!(client|csv-format|cli)/**', './src/*.ts', './src/cli/server/**'],
    message: 'The client commands talk HTTP through client/: no server code, no cli/server/.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Type-aware rules: a promise nobody awaits or handles loses its failure (an unhandled rejection kills
    // the process, or an error is never seen), and a promise handed where a void callback is expected
    // runs unawaited.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // `void p` is not handling p: a rejection must be caught and said somewhere.
          ignoreVoid: false,
          // node:test's describe/it/test return promises the runner itself tracks.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // The sources import './x.js' and mean './x.ts' (NodeNext); the rules need the real file, parsed.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // An import the resolver cannot follow would pass the two rules below unseen.
      'import-x/no-unresolved': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        { zones: LAYERS, basePath: fileURLToPath(new URL('.', import.meta.url)) },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['node:fs', 'node:http', 'fs', 'http'], message: 'domain/ does no I/O.' }],
        },
      ],
    },
  },
  {
    files: ['src/client/**/*.ts', 'src/cli/client/**/*.ts', 'src/cli/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fastify', 'better-sqlite3', 'pg', 'pg-copy-streams'].map((name) => ({
            name,
            message: 'The client and its commands load no server packages.',
          })),
        },
      ],
    },
  },
);
