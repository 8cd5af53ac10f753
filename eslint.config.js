// ESLint holds the layout of src/ (STYLE §1, ARCHITECTURE.md): a folder imports only the folders
// above it, the SDK stands apart on protocol/, no console outside the CLI, no explicit any.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node's modules for sockets, HTTP, files and processes, with or without `node:`, subpaths included. */
const IO_MODULES = '^(node:)?(fs|http|https|http2|net|tls|dgram|child_process|worker_threads)(/.*)?$';

/**
 * Where a folder's code may not reach: the folders of src/ below it, packages that belong to
 * another layer, and (`io`) Node's I/O modules.
 */
const LAYERS = {
  // Codecs, syntax, the error list: zod and nothing of ours.
  'src/protocol': { folders: ['core', 'config', 'server', 'cli', 'client'], packages: ['ws', 'jsonwebtoken', 'pino', 'prom-client', 'ioredis'], io: true },
  // Sessions, registry, operations, dialects: never a socket, HTTP or a file; keys come in as values.
  'src/core': { folders: ['config', 'server', 'cli', 'client'], packages: ['ws', 'pino', 'prom-client', 'ioredis'], io: true },
  // The schemas and their loader (which reads the config file: node:fs is its one I/O).
  'src/config': { folders: ['core', 'server', 'cli', 'client'], packages: ['ws', 'jsonwebtoken', 'pino', 'prom-client', 'ioredis', 'node:http', 'node:net'], io: false },
  // The one HTTP server: everything but the CLI and the SDK.
  'src/server': { folders: ['cli', 'client'], packages: [], io: false },
  // The commands: everything but the SDK, which stands apart.
  'src/cli': { folders: ['client'], packages: [], io: false },
  // The SDK depends on protocol/ alone.
  'src/client': { folders: ['core', 'config', 'server', 'cli'], packages: ['jsonwebtoken', 'pino', 'prom-client', 'ioredis'], io: false },
};

const layerRules = Object.entries(LAYERS).map(([dir, { folders, packages, io }]) => ({
  files: [`${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: packages.map((name) => ({ name, message: `${dir}/ may not import ${name} (STYLE §1).` })),
        patterns: [
          ...folders.map((folder) => ({
            regex: `(^|/)${folder}/`,
            message: `${dir}/ may not import from src/${folder}/: a folder imports only the folders above it (STYLE §1, ARCHITECTURE.md).`,
          })),
          ...(io ? [{ regex: IO_MODULES, message: `${dir}/ does no I/O: sockets, HTTP and files belong to src/server/ (STYLE §1).` }] : []),
        ],
      },
    ],
    // import() would slip past the rule above; the inner layers load nothing at run time.
    ...(io ? { 'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: `${dir}/ loads no module at run time.` }] } : {}),
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
    files: ['bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', 'examples/**/*.ts', 'bin/**/*.js', 'deploy/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
);
