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
import { BIN, ROOT, runNode } from '../helpers/cli.js';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { docDir, runShell, snippetsOf, type DocDir, type Shell, type Snippet } from '../helpers/docs.js';

interface Context {
  doc: DocDir;
  port: number;
  relayPort: number;
  /** What earlier snippets left for later ones (a token minted in one, used by the next). */
  saved: Map<string, string>;
  /** Snippets still running in the background (an agent in "one terminal"), stopped at the end. */
  background: Shell[];
  /** The server a snippet started itself (`npx pubkeeper serve --tls-cert …`), on a port of its own. */
  own?: { port: number; child: ChildProcess };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Plan = { notRun: string } | { run: (snippet: Snippet, ctx: Context) => Promise<void> };

const notRun = (reason: string): Plan => ({ notRun: reason });

/** Which server a snippet's `localhost:9898` is: the shared one, or the one an earlier snippet started. */
type Target = 'shared' | 'own';

/** The documented ports become the target server's. */
function rewrite(code: string, ctx: Context, target: Target = 'shared'): string {
  const port = target === 'own' ? ownServer(ctx).port : ctx.port;
  return code.replaceAll('9898', String(port)).replaceAll('9899', String(ctx.relayPort));
}

function ownServer(ctx: Context): { port: number; child: ChildProcess } {
  if (!ctx.own) throw new Error('no snippet has started a server of its own yet');
  return ctx.own;
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
const sh = (check: (ran: Ran, ctx: Context) => void, env: (ctx: Context) => Record<string, string> = () => ({})): Plan => ({
  run: async (snippet, ctx) => {
    const script = `set -e -o pipefail\n${withoutServe(rewrite(snippet.code, ctx))}`;
    const shell = runShell(script, ctx.doc.dir, { ...ctx.doc.env, ...env(ctx) });
    const { code } = await shell.exit;
    const ran = { code, stdout: shell.stdout.join('\n'), stderr: shell.stderr.join('\n') };
    expect(ran.code, `${snippet.key} (README.md:${snippet.line}) failed:\n${ran.stderr}`).toBe(0);
    check(ran, ctx);
  },
});

/** Runs a JavaScript snippet as an .mjs file in the stand-in checkout and checks its output. */
const js = (check: (ran: Ran, ctx: Context) => void, env: (ctx: Context) => Record<string, string> = () => ({}), target: Target = 'shared'): Plan => ({
  run: async (snippet, ctx) => {
    const file = join(ctx.doc.dir, `readme-${snippet.line}.mjs`);
    writeFileSync(file, rewrite(snippet.code, ctx, target));
    const ran = await runNode([file], { ...ctx.doc.env, ...env(ctx) }, ctx.doc.dir);
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

/** The documented default address (ws://127.0.0.1:9898) is the shared server's, through the variable the programs read. */
const sharedUrl = (ctx: Context): Record<string, string> => ({ PUBKEEPER_URL: `ws://127.0.0.1:${ctx.port}` });

/**
 * A snippet that runs until stopped, as in "one terminal": started, and left running once a
 * stdout line matches `ready`, for the snippets after it; stopped when the README is done.
 */
const shBackground = (ready: RegExp): Plan => ({
  run: async (snippet, ctx) => {
    const shell = runShell(rewrite(snippet.code, ctx), ctx.doc.dir, { ...ctx.doc.env, ...sharedUrl(ctx) });
    ctx.background.push(shell);
    expect(await shell.line((l) => ready.test(l), 20_000)).toMatch(ready);
  },
});

/** Runs shell lines to their end with bash -e; they must succeed. */
async function runLines(code: string, ctx: Context, what: string): Promise<Ran> {
  const shell = runShell(`set -e -o pipefail\n${code}`, ctx.doc.dir, ctx.doc.env);
  const { code: exit } = await shell.exit;
  const ran = { code: exit, stdout: shell.stdout.join('\n'), stderr: shell.stderr.join('\n') };
  expect(ran.code, `${what} failed:\n${ran.stderr}`).toBe(0);
  return ran;
}

/**
 * A snippet that starts a server of its own (`npx pubkeeper serve <flags> [&]`, TLS for one): the
 * lines before it run first, then the test starts `serve` with those flags as written (on a free
 * port, in the same directory, replacing any server an earlier snippet started), then the lines
 * after it run with 9898 meaning that server.
 */
const shServing = (check: (ran: Ran | undefined, ctx: Context) => void): Plan => ({
  run: async (snippet, ctx) => {
    const lines = snippet.code.split('\n');
    const at = lines.findIndex((line) => /^npx pubkeeper serve\b/.test(line.trim()));
    expect(at, `${snippet.key} has no serve line`).toBeGreaterThanOrEqual(0);
    const before = lines.slice(0, at).join('\n');
    if (before.trim() !== '') await runLines(before, ctx, snippet.key);
    const flags = (lines[at] ?? '').trim().replace(/^npx pubkeeper serve/, '').replace(/&\s*$/, '').trim().split(/\s+/).filter(Boolean);
    await stopOwnServer(ctx);
    ctx.own = await startServe([...flags, '--host', '127.0.0.1', '--port', '0'], ctx);
    const after = lines.slice(at + 1).join('\n');
    check(after.trim() === '' ? undefined : await runLines(rewrite(after, ctx, 'own'), ctx, snippet.key), ctx);
  },
});

async function startServe(args: string[], ctx: Context): Promise<{ port: number; relayPort?: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ctx.doc.dir, env: ctx.doc.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let relayPort: number | undefined;
    child.once('exit', (code) => reject(new Error(`serve ${args.join(' ')} exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port?: number; relayPort?: number };
      if (entry.relayPort !== undefined) relayPort = entry.relayPort;
      if (entry.msg?.startsWith('listening') && entry.port !== undefined) resolve({ port: entry.port, child, ...(relayPort === undefined ? {} : { relayPort }) });
    });
  });
}

async function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function stopOwnServer(ctx: Context): Promise<void> {
  await stopServe(ctx.own?.child);
  ctx.own = undefined;
}

/** A token of the stand-in checkout's keys, for the snippets that take one from the environment. */
async function mint(ctx: Context, sub: string, right: string): Promise<string> {
  const ran = await runLines(`npx pubkeeper token --sub ${sub} --right '${right}'`, ctx, 'minting a token');
  return ran.stdout.trim();
}

/**
 * The TLS clients snippet: its lines run as written against the TLS server (the last one, watch,
 * runs until interrupted); a brewer registered over wss must show up in watch's output.
 */
const tlsClients: Plan = {
  run: async (snippet, ctx) => {
    const { port } = ownServer(ctx);
    const shell = runShell(`set -e -o pipefail\n${rewrite(snippet.code, ctx, 'own')}`, ctx.doc.dir, ctx.doc.env);
    // The token its first line exports, for the next snippet (a program reading process.env.TOKEN).
    ctx.saved.set('TOKEN', await mint(ctx, 'me', 'subscribe:sensors.**'));
    try {
      // admin sessions prints its table (and exits 0, or set -e would end the script before watch).
      await shell.line((l) => l.startsWith('ID ') || l === 'no sessions');
      const brewer = await PubkeeperClient.connect(`wss://127.0.0.1:${port}/ws`, { tls: { ca: readFileSync(join(ctx.doc.dir, 'ca.pem')) } });
      try {
        expect(await brewer.authenticate(await mint(ctx, 'hall', 'all'))).toBe(true);
        await brewer.registerBrewer('sensors.hall.temperature', { uuid: '7e1a0c2e-0000-4000-8000-00000000aa01' });
        expect(await shell.line((l) => l.startsWith('+ sensors.hall.temperature'))).toContain('7e1a0c2e-0000-4000-8000-00000000aa01');
      } finally {
        await brewer.close();
      }
      expect(shell.child.exitCode, shell.stderr.join('\n')).toBeNull();
    } finally {
      shell.kill('SIGINT');
      await shell.exit;
    }
  },
};


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
  'Commanding agents #1': js(({ stdout }) => {
    expect(stdout).toContain("progress { step: 'download', name: 'tree' }");
    expect(stdout).toContain("{ installed: 'tree', from: 'eu' }");
    expect(stdout).toContain("{ jobId: '1', results: { installed: 'vim', from: 'us' } }");
    expect(stdout).toMatch(/^success$/m);
    expect(stdout).toContain('Unknown action: pkg remove');
  }),
  'From the command line: `pubkeeper run` #1': shBackground(/^\{"event":"ready","uri":"pcp:\/\/node-1\/agent"\}$/),
  'From the command line: `pubkeeper run` #2': sh(({ stdout, stderr }) => {
    expect(stdout.split('\n')).toEqual(['{"text":"hi"}', '{"counted":2}', '{"answer":"Ada"}', 'exit 1']);
    const events = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['provisional', 'progress', 'progress']);
    expect(events[1]?.progress).toEqual({ n: 1, of: 2 });
    expect(stderr).toContain('pubkeeper run: Unknown action: demo fly');
  }, sharedUrl),
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
  'TLS #1': shServing((ran) => expect(ran?.stdout).toBe('{"status":"ok"}')),
  'TLS #2': tlsClients,
  'TLS #3': js(
    ({ stdout }) => expect(stdout).toBe('authenticated: true\nconnected as pcp://me/agent\n'),
    (ctx) => ({ TOKEN: ctx.saved.get('TOKEN') ?? '' }),
    'own',
  ),
  'Client certificates #1': sh((_ran, ctx) =>
    expect(JSON.parse(readFileSync(join(ctx.doc.dir, 'cert-rights.json'), 'utf8'))).toEqual({ agent1: ['send:pcp://*/controller'], '*': ['inventory:pcp://*/*'] }),
  ),
  'Client certificates #2': shServing((ran) => expect(ran).toBeUndefined()),
  'Client certificates #3': js(({ stdout }) => expect(stdout).toBe('connected as pcp://agent1/agent\n'), () => ({}), 'own'),
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
    const ctx = { saved: new Map<string, string>(), background: [] as Shell[] } as Context;
    let server: ChildProcess | undefined;

    beforeAll(async () => {
      ctx.doc = docDir();
      const shared = await startServe(['--host', '127.0.0.1', '--port', '0', '--relay-port', '0'], ctx);
      server = shared.child;
      ctx.port = shared.port;
      ctx.relayPort = shared.relayPort ?? 0;
    }, 30_000);

    afterAll(async () => {
      for (const shell of ctx.background) shell.kill('SIGTERM');
      await Promise.all(ctx.background.map((shell) => shell.exit));
      await stopOwnServer(ctx);
      await stopServe(server);
    });

    for (const snippet of commands) {
      const plan = PLANS[snippet.key];
      if (!plan || 'notRun' in plan) continue;
      it(`${snippet.key} (README.md:${snippet.line})`, () => plan.run(snippet, ctx), 60_000);
    }
  });
});
