import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { roomRuleConfigs } from './scripts/room-rules.mjs';

/** What no file in core/ may import: the shell and the UI. Every room rule adds to these. */
const coreImports = {
  paths: [
    { name: 'electron', message: 'core/ must run without Electron: inject what you need through ServiceConfig.' },
    { name: 'react', message: 'core/ has no UI.' },
  ],
  patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'core/ never depends on the shell or the UI.' }],
};

// Besides style, lint enforces the architecture's arrows (README → Architecture): core never imports Electron
// or React, each room imports only the rooms the map allows (scripts/room-rules.mjs), and the renderer reaches
// the engine only through core/contract and renderer/api.ts.
export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', coreImports] },
  },
  ...roomRuleConfigs(coreImports),
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(core/(?!contract/)|electron/)',
              message: 'The renderer talks to the engine only through core/contract and renderer/api.ts.',
            },
          ],
        },
      ],
    },
  },
);
