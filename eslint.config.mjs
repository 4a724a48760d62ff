// ESLint flat config for the whole tree: type-aware typescript-eslint rules for the TypeScript workspaces,
// ESLint's recommended rules for the .mjs scripts, and eslint-config-prettier last so that formatting is Prettier's alone.
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default defineConfig(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/coverage/', '**/.tap/', 'portal/.angular/', 'portal/out-tsc/', 'bench/results/', 'bench/.scratch/', 'data/']
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    // Playwright scripts: the functions handed to page.evaluate() and waitForFunction() run in the browser.
    files: ['bench/**/*.mjs', 'portal/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } }
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // Run after the build: the workspaces import each other's types from dist (npm test builds first).
        // The tests' tsconfigs cover src and test alike (call-client's covers only test), so every file gets the types it is compiled with.
        project: [
          'core/tsconfig.test.json',
          'plugins/*/tsconfig.test.json',
          'adapters/*/tsconfig.test.json',
          'call-client/tsconfig.json',
          'call-client/tsconfig.test.json',
          'portal/tsconfig.spec.json'
        ],
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      // tap queues t.test() subtests itself and runs them in order; leaving their promises unawaited is how tap is meant to be used.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: 'test', package: '@tapjs/test' }] }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }
      ],
      // Switched off: they would demand churn without catching bugs here.
      // `any` marks untyped boundaries on purpose (JSON bodies, node-ical, janode, test responses); the no-unsafe-* family only follows it around.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // async without await is how Fastify handlers, plugin hooks and interface implementations return promises.
      '@typescript-eslint/require-await': 'off',
      // Its autofix drops assertions that document intent (xstate events, index access, dynamic imports of browser-only URLs)
      // and some are needed under the build tsconfigs.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // The control-character classes in the tree strip or detect control characters on purpose (iCalendar lines, mail headers).
      'no-control-regex': 'off'
    }
  },
  prettier
)
