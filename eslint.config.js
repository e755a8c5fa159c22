import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.js';

/** The files allowed over max-lines, each with why it is long. */
export const LONG_FILES = [
  'src/arm/functions.ts', // one table of every function ARM has, each next to its limits
  'src/config/schema.ts', // the whole schema reads top to bottom in the order of the example config and its JSON Schema
  'sandbox/arm/plane.ts', // the phases of one deployment read in ARM's order in one place
  'test/sandbox/spec-examples.test.ts', // one sandbox started once for every spec example and rule
];

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'build/**', 'coverage/**', '.tmp/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: globals.node,
      // Type-aware rules read the same program tsc checks, through tsconfig.json.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { project: layers },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // A promise nobody awaits loses its rejection; one passed where a callback returns void is never awaited.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A union that grows a member must fail where it is switched on, not fall through silently.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'no-restricted-imports': ['error', { patterns: [] }],
      'project/layers': 'error',
      // A file past this is doing more than one thing; comments and blank lines do not count, so explaining costs nothing.
      'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
    },
  },
  { files: LONG_FILES, rules: { 'max-lines': 'off' } },
  {
    // The JavaScript config and scripts are not in tsconfig.json's program, so they get no type information.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The core never talks to the runner; only the action wrappers do.
    files: ['src/**/*.ts', 'sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@actions/core', message: 'The core takes a Logger; only actions/*/src may import @actions/core.' }] },
      ],
    },
  },
);
