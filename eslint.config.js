import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', 'test-corpus/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Node scripts of the tools (fuzzing, benchmarks) in plain JavaScript: Node's globals.
    files: ['tools/**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'Buffer', 'URL', 'TextEncoder', 'TextDecoder', 'setTimeout', 'clearTimeout', 'setImmediate', 'queueMicrotask'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // Library packages must run in a browser: no Node built-ins.
    files: ['packages/core/src/**', 'packages/elf/src/**', 'packages/macho/src/**', 'packages/coff/src/**', 'packages/arch-*/src/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'path', 'child_process', 'net', 'os', 'koffi'] }],
    },
  },
);
