// The npm package as a library user gets it (issue 13): `npm pack` the checkout, install the
// tarball into a fresh consumer project, and check what ships, that a strict TypeScript consumer
// compiles against `pubkeeper/client`, that the SDK entry loads no server dependency, and that the
// installed CLI runs without building anything.
//
// Offline-safe: the consumer's lock file is the project's own (its runtime entries, plus the
// tarball), so `npm ci --offline` takes every package from the npm cache that the project's
// `npm ci` filled; only if that cache lacks one does it fall back to `--prefer-offline`.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { snippetsOf } from '../helpers/docs.js';
import { tempDir } from '../helpers/keys.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
};
/** What the SDK entry must never load (the list, and the cluster's Redis client). */
const SERVER_ONLY = ['prom-client', 'jsonwebtoken', 'pino', 'ioredis'];

let packed: { files: string[]; tarball: string };
let consumer: string;

/** npm with the developer's npm settings but none of a surrounding `npm test`'s lifecycle variables. */
function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_lifecycle') && !k.startsWith('npm_package')));
  return run('npm', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
}

beforeAll(async () => {
  // dist/ is fresh: the suite's global setup built it. --ignore-scripts skips prepack's clean
  // rebuild, which would race the other test files that run dist/ meanwhile.
  const out = tempDir();
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', out], ROOT);
  const [report] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!report) throw new Error(`npm pack reported nothing: ${stdout}`);
  packed = { files: report.files.map((f) => f.path), tarball: join(out, report.filename) };

  consumer = join(tempDir(), 'consumer');
  mkdirSync(consumer);
  const tarball = `file:${packed.tarball}`;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const packages: Record<string, unknown> = { '': { name: 'consumer', dependencies: { [pkg.name]: tarball } } };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev && !entry.devOptional) packages[path] = entry;
  }
  packages[`node_modules/${pkg.name}`] = { version: pkg.version, resolved: tarball, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines };
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { [pkg.name]: tarball } }));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }));
  const install = ['ci', '--no-audit', '--no-fund'];
  await npm([...install, '--offline'], consumer).catch(() => npm([...install, '--prefer-offline'], consumer));
}, 120_000);

describe('the npm package', () => {
  it('ships the build, bin, README, LICENSE and protocol docs, and no tests, benches, sources or source maps', () => {
    const { files } = packed;
    for (const wanted of ['package.json', 'README.md', 'LICENSE', 'bin/pubkeeper.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/client/index.js', 'dist/src/client/index.d.ts', 'dist/src/cli/main.js', 'protocol/pubkeeper.md', 'protocol/errors.md', 'deploy/pubkeeper.service', 'deploy/healthcheck.mjs']) {
      expect(files, wanted).toContain(wanted);
    }
    const stray = files.filter((f) => !/^(dist\/src\/|bin\/|deploy\/|protocol\/)/.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map') || /(^|\/)(test|bench)\//.test(f))).toEqual([]);
  });

  it('a strict TypeScript consumer (nodenext, noImplicitAny, library .d.ts checked) compiles against pubkeeper/client, the README\'s example too', async () => {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noImplicitAny: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false },
        files: ['app.ts', 'readme.mts'],
      }),
    );
    // The README's own example of it, as written (readmeSnippets.test.ts leaves it to this test).
    const readme = snippetsOf(readFileSync(join(ROOT, 'README.md'), 'utf8')).commands.find((s) => s.key === 'Using the SDK from another project #2');
    expect(readme?.code).toContain("from 'pubkeeper/client'");
    writeFileSync(join(consumer, 'readme.mts'), readme?.code ?? '');
    writeFileSync(
      join(consumer, 'app.ts'),
      `import { DiscoveryClient, PcpClient, PubkeeperClient, PubkeeperError, pcpTransport, type Brewer, type BrewerEventArgs, type DiscoveryClientError, type ErrorCode, type TokenProvider } from 'pubkeeper/client';
const token: TokenProvider = ({ reason }) => \`token-for-\${reason}\`;
const client = new DiscoveryClient({ url: 'ws://127.0.0.1:9898/ws', token, transport: pcpTransport({ type: 'svc' }) });
client.on('brewerAdded', ({ topic, brewer }: BrewerEventArgs) => console.log(topic, brewer.uuid));
client.on('error', (error: DiscoveryClientError) => {
  const code: ErrorCode = error.code;
  console.warn(code, error.operation);
});
const brewer: Brewer = { uuid: 'u1', hostname: '10.0.0.7', port: 9899 };
export async function main(): Promise<void> {
  await client.registerBrewer('sensors.hall', brewer);
  const pk = await PubkeeperClient.connect('ws://127.0.0.1:9898/ws');
  const authenticated: boolean = await pk.authenticate('jwt');
  const pcp = await PcpClient.connect('ws://127.0.0.1:9898', { token: 'jwt', type: 'agent' });
  const uris: string[] = await pcp.inventory(['pcp://*/agent']);
  console.log(authenticated, uris, new PubkeeperError('INVALID_URL').code);
}
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }).then(
      () => 'compiled',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('compiled');
  }, 120_000);

  it('pubkeeper/client loads ws and the protocol codecs only; the server entry loads what the SDK must not', async () => {
    // Every module the import resolves, ESM through a resolve hook and CommonJS from require.cache.
    writeFileSync(
      join(consumer, 'probe.mjs'),
      `import { createRequire, register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
const log = new URL('./resolved-' + process.pid + '.log', import.meta.url);
writeFileSync(log, '');
const hooks = \`import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = new URL(data.log); }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\\\n');
  return result;
}\`;
register('data:text/javascript,' + encodeURIComponent(hooks), import.meta.url, { data: { log: log.href } });
const entry = await import(process.argv[2]);
const esm = readFileSync(log, 'utf8').split('\\n').filter(Boolean);
const cjs = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify({ exports: Object.keys(entry), modules: [...esm, ...cjs] }));
`,
    );
    const probe = async (specifier: string): Promise<{ exports: string[]; packages: Set<string> }> => {
      const { stdout } = await run(process.execPath, ['probe.mjs', specifier], { cwd: consumer });
      const { exports, modules } = JSON.parse(stdout) as { exports: string[]; modules: string[] };
      const packages = new Set(modules.flatMap((m) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1] ?? []));
      return { exports, packages };
    };
    const client = await probe('pubkeeper/client');
    expect(client.exports).toEqual(expect.arrayContaining(['DiscoveryClient', 'PcpClient', 'PubkeeperClient', 'PubkeeperError', 'pcpTransport']));
    expect([...client.packages].sort()).toEqual(['pubkeeper', 'ws', 'zod']);
    const server = await probe('pubkeeper');
    expect(server.exports).toEqual(expect.arrayContaining(['startServer', 'PubkeeperServer', 'DiscoveryClient']));
    // The probe sees server packages when they are loaded (prom-client imported as ESM, ioredis's
    // own files required as CommonJS): the SDK's short list above is no blind spot.
    expect([...server.packages]).toEqual(expect.arrayContaining(['prom-client', 'ioredis']));
    expect([...client.packages].filter((p) => SERVER_ONLY.includes(p))).toEqual([]);
  }, 60_000);

  it('the installed CLI runs from the shipped dist/ with nothing to build: `npx pubkeeper --version`', async () => {
    const installed = join(consumer, 'node_modules', pkg.name);
    // No sources and no compiler config came with it: a build could not even start.
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'tsconfig.json'))).toBe(false);
    const { stdout, stderr } = await npm(['exec', '--offline', '--no', '--', 'pubkeeper', '--version'], consumer);
    expect(stdout.trim()).toBe(pkg.version);
    expect(stderr).not.toMatch(/tsc|build/i);
  }, 60_000);

  it('prepare (npm install, and npx, which links the checkout and prepares it again) builds only a missing or stale dist/', async () => {
    // A checkout in miniature: the real prepare script, a build that leaves a mark.
    const dir = tempDir();
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(ROOT, 'scripts', 'prepare.mjs'), join(dir, 'scripts', 'prepare.mjs'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mini', scripts: { build: 'node -e "require(\'node:fs\').appendFileSync(\'builds\', \'built\\n\')"' } }));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'a.ts'), 'export {};\n');
    const builds = (): number => (existsSync(join(dir, 'builds')) ? readFileSync(join(dir, 'builds'), 'utf8').split('\n').filter(Boolean).length : 0);
    const prepare = (): Promise<unknown> => run(process.execPath, ['scripts/prepare.mjs'], { cwd: dir });

    await prepare(); // no dist/ at all: a fresh clone
    expect(builds()).toBe(1);
    mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'src', 'index.js'), '');
    writeFileSync(join(dir, 'dist', 'src', 'cli', 'main.js'), '');
    const [past, later] = [new Date(Date.now() - 60_000), new Date(Date.now() - 30_000)];
    for (const file of ['src/a.ts', 'package.json']) utimesSync(join(dir, file), past, past);
    const { stderr } = (await prepare()) as { stderr: string };
    expect(builds()).toBe(1); // dist/ newer than every source: nothing to do
    expect(stderr).toContain('up to date');
    for (const file of ['dist/src/index.js', 'dist/src/cli/main.js']) utimesSync(join(dir, file), past, past);
    utimesSync(join(dir, 'src', 'a.ts'), later, later);
    await prepare(); // a source edited since the build
    expect(builds()).toBe(2);
  }, 60_000);
});
