// ESLint holds the layout of src/ (STYLE §1): a folder imports only the folders above it, the SDK
// stands apart on protocol/, no console outside the CLI, no explicit any.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Where a folder's code may not reach: other folders of src/, and packages that belong elsewhere. */
const LAYERS = {
  // Codecs, syntax, the error list: zod and nothing of ours.
  'src/protocol': { folders: ['core', 'config', 'server', 'cli', 'client'], packages: ['ws', 'jsonwebtoken', 'pino', 'prom-client', 'node:http', 'node:https', 'node:net', 'node:fs'] },
  // Sessions, registry, operations, dialects: never a socket, HTTP or a file; keys come in as values.
  'src/core': { folders: ['config', 'server', 'cli', 'client'], packages: ['ws', 'pino', 'prom-client', 'node:http', 'node:https', 'node:net', 'node:fs'] },
  // The schema and its loader.
  'src/config': { folders: ['core', 'server', 'cli', 'client'], packages: ['ws', 'jsonwebtoken', 'pino', 'prom-client', 'node:http', 'node:https', 'node:net'] },
  // The one HTTP server: everything but the CLI and the SDK.
  'src/server': { folders: ['cli', 'client'], packages: [] },
  // The SDK depends on protocol/ alone.
  'src/client': { folders: ['core', 'config', 'server', 'cli'], packages: ['jsonwebtoken', 'pino', 'prom-client', 'node:http', 'node:net', 'node:fs'] },
};

const layerRules = Object.entries(LAYERS).map(([dir, { folders, packages }]) => ({
  files: [`${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: packages.map((name) => ({ name, message: `${dir}/ may not import ${name} (STYLE §1).` })),
        patterns: folders.map((folder) => ({
          regex: `(^|/)${folder}/`,
          message: `${dir}/ may not import from src/${folder}/: a folder imports only the folders above it (STYLE §1, ARCHITECTURE.md).`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  { files: ['src/**/*.ts'], rules: { 'no-console': 'error' } },
  { files: ['src/cli/**/*.ts'], rules: { 'no-console': 'off' } },
  ...layerRules,
  {
    // Scripts, benches and examples print their results.
    files: ['bench/**/*.ts', 'scripts/**/*.ts', 'examples/**/*.ts', 'bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
);
