import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/**', '**/jobs/**', '**/storage/sqlite/**', '**/storage/postgres/**'],
              message: 'domain/ stays free of adapters and HTTP.',
            },
            { group: ['node:fs', 'node:http', 'fs', 'http'], message: 'domain/ does no I/O.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/client/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/cli/server/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/**', '**/jobs/**', '**/storage/**', '**/domain/**', '**/auth/**'],
              message: 'client/ and cli/ never import server internals.',
            },
          ],
        },
      ],
    },
  },
);
