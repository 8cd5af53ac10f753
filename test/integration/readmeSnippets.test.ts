// Every command snippet of README.md runs as written (issue 13), or is listed below as not
// runnable here, with the reason. A snippet is a fenced block in a command language (sh, js, ts…);
// it is known by the heading above it and its number under that heading ("Tokens and rights #1",
// counting command blocks only). A new snippet with no entry in PLANS fails the test, and so does
// an entry whose snippet is gone: to cover a new one, add its key with `sh(check)`, `js(check)`
// or `notRun('why')`.
//
// How they run: one `pubkeeper serve --relay-port 0` of the checkout on free ports, started from
// a directory standing in for the checkout (test/helpers/docs.ts: its own ./keys with the dev
// keys that serve generates, ./data, the checkout's dist/ and packages, `pubkeeper` resolvable by
// name), shared by every snippet in README order. Rewritten before running, and nothing else:
// the documented ports, 9898 (the server) and 9899 (the relay), become the free ports; a
// `npx pubkeeper serve` line is not run but must be that shared server (plain serve, or
// --relay-port); `npx pubkeeper` runs the checkout's bin/pubkeeper.js (the shim of docs.ts).
// Shell snippets run with `bash -e -o pipefail` (each command must succeed), JavaScript ones
// as .mjs files in that directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { docDir, runShell, snippetsOf, type DocDir, type Snippet } from '../helpers/docs.js';

interface Context {
  doc: DocDir;
  port: number;
  relayPort: number;
  /** What earlier snippets left for later ones (a token minted in one, used by the next). */
  saved: Map<string, string>;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Plan = { notRun: string } | { run: (snippet: Snippet, ctx: Context) => Promise<void> };

const notRun = (reason: string): Plan => ({ notRun: reason });

/** The documented ports become the shared server's. */
function rewrite(code: string, ctx: Context): string {
  return code.replaceAll('9898', String(ctx.port)).replaceAll('9899', String(ctx.relayPort));
}

/** `npx pubkeeper serve` lines are the shared server: they must ask for nothing it was not started with. */
function withoutServe(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      const serve = /^npx pubkeeper serve\b([^#&]*)/.exec(line.trim());
      if (!serve) return line;
      const flags = (serve[1] ?? '').replace(/--relay-port \d+/, '').trim();
      expect(flags, `a serve line the shared server does not stand for: ${line}`).toBe('');
      return `# (the shared server) ${line}`;
    })
    .join('\n');
}

/** Runs a shell snippet to its end and hands its output to `check`. */
const sh = (check: (ran: Ran, ctx: Context) => void): Plan => ({
  run: async (snippet, ctx) => {
    const script = `set -e -o pipefail\n${withoutServe(rewrite(snippet.code, ctx))}`;
    const shell = runShell(script, ctx.doc.dir, ctx.doc.env);
    const { code } = await shell.exit;
    const ran = { code, stdout: shell.stdout.join('\n'), stderr: shell.stderr.join('\n') };
    expect(ran.code, `${snippet.key} (README.md:${snippet.line}) failed:\n${ran.stderr}`).toBe(0);
    check(ran, ctx);
  },
});

/** Runs a JavaScript snippet as an .mjs file in the stand-in checkout and checks its output. */
const js = (check: (ran: Ran, ctx: Context) => void, env: (ctx: Context) => Record<string, string> = () => ({})): Plan => ({
  run: async (snippet, ctx) => {
    const file = join(ctx.doc.dir, `readme-${snippet.line}.mjs`);
    writeFileSync(file, rewrite(snippet.code, ctx));
    const ran = await runNode(file, ctx.doc.dir, { ...ctx.doc.env, ...env(ctx) });
    expect(ran.code, `${snippet.key} (README.md:${snippet.line}) failed:\n${ran.stderr}`).toBe(0);
    check(ran, ctx);
  },
});

/** Runs a snippet that runs until stopped: waits for a stdout line matching `until`, then SIGTERM. */
const jsUntil = (until: RegExp, env: (ctx: Context) => Record<string, string>): Plan => ({
  run: async (snippet, ctx) => {
    const file = join(ctx.doc.dir, `readme-${snippet.line}.mjs`);
    writeFileSync(file, rewrite(snippet.code, ctx));
    const shell = runShell(`exec node ${JSON.stringify(file)}`, ctx.doc.dir, { ...ctx.doc.env, ...env(ctx) });
    try {
      expect(await shell.line((l) => until.test(l), 20_000)).toMatch(until);
    } finally {
      shell.kill('SIGKILL');
      await shell.exit;
    }
  },
});

function runNode(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
/** The claims of each JWT line of the output (and that every line is one). */
function claimsOf(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter(Boolean);
  for (const line of lines) expect(line).toMatch(JWT);
  return lines.map((line) => JSON.parse(Buffer.from(line.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>);
}

/** Every command snippet of README.md, by key. */
const PLANS: Record<string, Plan> = {
  'Quick start #1': notRun(
    'installs the checkout and runs this very suite (CI does both: .ci/run); its `npx pubkeeper serve` is what the shared server is, and test/integration/package.test.ts shows npx does not rebuild',
  ),
  'Quick start #2': sh(({ stdout }) => expect(claimsOf(stdout)).toMatchObject([{ sub: 'alice', rights: ['all'] }])),
  // The bash line, sourced in bash, must register the completion (zsh is not on these machines;
  // test/integration/cliHelp.test.ts checks its script).
  'Shell completion #1': {
    run: async (snippet, ctx) => {
      const [bashLine] = snippet.code.split('\n');
      expect(bashLine).toMatch(/^source <\(npx pubkeeper completion bash\)/);
      const shell = runShell(`set -e -o pipefail\n${bashLine}\ncomplete -p pubkeeper`, ctx.doc.dir, ctx.doc.env);
      expect((await shell.exit).code, shell.stderr.join('\n')).toBe(0);
      expect(shell.stdout.join('\n')).toMatch(/^complete .* pubkeeper$/m);
    },
  },
  'Tokens and rights #1': sh(({ stdout }) =>
    expect(claimsOf(stdout)).toMatchObject([
      { sub: 'thermometer-1', rights: ['brew:sensors.*.temperature'] },
      { sub: 'dashboard', rights: ['subscribe:sensors.**'] },
      { sub: 'legacy', rights: [{ topic: 'sensors.**', read: true, write: true }] },
    ]),
  ),
  'A worked example: a brewer and a subscriber #1': js(({ stdout }) => {
    expect(stdout).toMatch(/^brewer up {3}sensors\.kitchen\.temperature \{/m);
    expect(stdout).toMatch(/^brewer gone sensors\.kitchen\.temperature 6f1c2b8e-3d4a-4e5f-8a9b-0c1d2e3f4a5b$/m);
  }),
  'A client that survives failures: `DiscoveryClient` #1': js(({ stdout }) => expect(stdout).toMatch(/^added sensors\.hall\.temperature \{ uuid: 'b1'/m)),
  'PCP: routing messages between clients #1': js(({ stdout }) => {
    expect(stdout).toContain("[ 'pcp://node-1/agent' ]");
    expect(stdout).toContain("message_type: 'example/pong'");
  }),
  'Using the SDK from another project #1': notRun(
    'packs the checkout and installs the tarball into another project: test/integration/package.test.ts does exactly that, offline',
  ),
  'Using the SDK from another project #2': notRun(
    'compiled (strict, nodenext, library types checked) by test/integration/package.test.ts in the project that installed the tarball',
  ),
  'Coming from PubKeeper #1': sh(({ stdout }, ctx) => {
    expect(claimsOf(stdout)).toMatchObject([{ sub: 'my-app', rights: ['all'] }]);
    ctx.saved.set('PUBKEEPER_TOKEN', stdout.trim());
  }),
  // The 1.x client: its patron receives what its brewer brews, through the relay.
  'Coming from PubKeeper #2': jsUntil(/^sensors\.hall \{"celsius":21\.5\}$/, (ctx) => ({ PUBKEEPER_TOKEN: ctx.saved.get('PUBKEEPER_TOKEN') ?? '' })),
  'Metrics #1': sh(({ stdout }) => expect(stdout).toMatch(/^pubkeeper_sessions\{/m)),
  'Administration #1': sh(({ stdout }) => {
    // The command as GET /commands/$UUID shows it (queued or already done), then no dead letters.
    expect(stdout).toMatch(/^\{"uuid":"[\w-]+","command":"revoke token","version":1,"payload":\{"sub":"bob"\}/);
    expect(stdout).toMatch(/\{"discarded":\[\]\}$/);
  }),
  'The admin CLI #1': sh(({ stdout }) => expect(stdout).toMatch(/paris-1|weather\.paris/)),
  'The live topology page #1': sh(({ stdout }) => expect(claimsOf(stdout)).toMatchObject([{ sub: 'ops', rights: ['admin:*'] }])),
  'Several nodes as one (cluster mode) #1': notRun(
    'starts redis-server and three nodes in the background on fixed ports; test/integration/cluster/ runs the same setup (own redis-server, nodes on free ports) and checks /healthz',
  ),
};

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const { commands, unknown } = snippetsOf(readme);

describe('README snippets', () => {
  it('every command snippet is run below or listed as not runnable, and every entry names a snippet', () => {
    expect(commands.length).toBeGreaterThan(5);
    expect(commands.map((s) => s.key).filter((key) => !(key in PLANS)), 'snippets with no entry in PLANS').toEqual([]);
    expect(Object.keys(PLANS).filter((key) => !commands.some((s) => s.key === key)), 'entries whose snippet is gone').toEqual([]);
    expect(unknown.map((s) => `README.md:${s.line} \`\`\`${s.lang}`), 'blocks of no known language: say whether they are commands').toEqual([]);
  });

  it('finds command blocks by heading and number, skips shown ones, and reports blocks of unknown language', () => {
    const md = ['# T', '```sh', 'a', '```', '```text', 'out', '```', '## U b', '```js', 'x', '```', '```sh', 'b', '```', '```python', 'p', '```', '```', 'bare', '```'].join('\n');
    const found = snippetsOf(md);
    expect(found.commands.map((s) => [s.key, s.code, s.line])).toEqual([
      ['T #1', 'a', 2],
      ['U b #1', 'x', 9],
      ['U b #2', 'b', 12],
    ]);
    expect(found.unknown.map((s) => [s.key, s.lang])).toEqual([
      ['U b #3', 'python'],
      ['U b #4', ''],
    ]);
  });

  describe('run as written', () => {
    const ctx = { saved: new Map<string, string>() } as Context;
    let server: ChildProcess | undefined;

    beforeAll(async () => {
      ctx.doc = docDir();
      const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0'], {
        cwd: ctx.doc.dir,
        env: ctx.doc.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      server = child;
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as { msg?: string; port?: number; relayPort?: number };
          if (entry.relayPort !== undefined) ctx.relayPort = entry.relayPort;
          if (entry.msg?.startsWith('listening') && entry.port !== undefined) {
            ctx.port = entry.port;
            resolve();
          }
        });
      });
    }, 30_000);

    afterAll(async () => {
      if (!server || server.exitCode !== null) return;
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    });

    for (const snippet of commands) {
      const plan = PLANS[snippet.key];
      if (!plan || 'notRun' in plan) continue;
      it(`${snippet.key} (README.md:${snippet.line})`, () => plan.run(snippet, ctx), 60_000);
    }
  });
});
