// Running documented commands as written (README snippets, the examples' usage lines) in a
// directory that stands in for the checkout: its own ./keys and ./data, the checkout's dist/, and
// a node_modules where the checkout's packages and `pubkeeper` itself resolve, so
// `import … from 'pubkeeper/client'` and `node dist/examples/…` work there as in a checkout.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, ROOT } from './cli.js';
import { tempDir } from './keys.js';

export interface DocDir {
  dir: string;
  /** The environment documented commands run with: no PUBKEEPER_* of the developer's, the npx shim first on PATH. */
  env: NodeJS.ProcessEnv;
}

/**
 * A stand-in checkout. `npx pubkeeper …` in it runs `node bin/pubkeeper.js …` of the checkout
 * through a shim first on PATH (any other `npx` goes to the real one): npx itself costs a second
 * or more per call and links the checkout into npx's cache; that the real `npx pubkeeper` runs
 * the same bin without a build is test/integration/package.test.ts's business.
 */
export function docDir(): DocDir {
  const dir = tempDir();
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry !== '.package-lock.json') symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  symlinkSync(ROOT, join(dir, 'node_modules', 'pubkeeper'));
  const shims = join(dir, '.shims');
  mkdirSync(shims);
  const realPath = process.env.PATH ?? '';
  writeFileSync(
    join(shims, 'npx'),
    `#!/bin/sh
if [ "$1" = pubkeeper ]; then shift; exec "${process.execPath}" "${BIN}" "$@"; fi
PATH="${realPath}" exec npx "$@"
`,
  );
  chmodSync(join(shims, 'npx'), 0o755);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
  return { dir, env: { ...env, PATH: `${shims}:${realPath}` } };
}

export interface Shell {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** The first stdout or stderr line (seen or still to come) matching `pred`. */
  line(pred: (line: string) => boolean, ms?: number): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the whole process group (bash and what it started). */
  kill(signal?: NodeJS.Signals): void;
}

/** Runs `script` with bash in its own process group; `stop()` or the caller's teardown must end it. */
export function runShell(script: string, cwd: string, env: NodeJS.ProcessEnv): Shell {
  const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (into: string[]) => (text: string) => {
    into.push(text);
    for (const waiter of waiters) waiter();
  };
  createInterface({ input: child.stdout! }).on('line', collect(stdout));
  createInterface({ input: child.stderr! }).on('line', collect(stderr));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const kill = (signal: NodeJS.Signals = 'SIGTERM'): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    child,
    stdout,
    stderr,
    exit,
    kill,
    line: (pred, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = [...stdout, ...stderr].find(pred);
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching line in ${ms} ms; stdout ${JSON.stringify(stdout)}; stderr ${JSON.stringify(stderr)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

// README snippets: a fenced block in a command language, known by the heading above it and its
// number there (counting command blocks only).
export interface Snippet {
  key: string;
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Languages whose blocks are commands or programs a reader runs. */
export const COMMAND_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'js', 'mjs', 'javascript', 'ts', 'typescript']);
/** Languages whose blocks are shown, not run (output, wire frames, configuration files). */
export const SHOWN_LANGS = new Set(['text', 'json', 'nginx', 'ini', 'yaml', 'yml', 'dockerfile', 'toml', 'conf', 'http', 'systemd', 'diff']);

/** The fenced blocks of a markdown text, each keyed by the heading above it and its number there. */
export function snippetsOf(markdown: string): { commands: Snippet[]; unknown: Snippet[] } {
  const commands: Snippet[] = [];
  const unknown: Snippet[] = [];
  const lines = markdown.split('\n');
  let heading = '(top)';
  const counts = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const title = /^#{1,6}\s+(.*\S)\s*$/.exec(text);
    if (title) heading = title[1] ?? heading;
    const fence = /^```(\S*)\s*$/.exec(text);
    if (!fence) continue;
    const lang = (fence[1] ?? '').toLowerCase();
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i] ?? '')) body.push(lines[i] ?? '');
    if (SHOWN_LANGS.has(lang)) continue;
    const count = (counts.get(heading) ?? 0) + 1;
    counts.set(heading, count);
    const snippet = { key: `${heading} #${count}`, lang, code: body.join('\n'), line: start + 1 };
    (COMMAND_LANGS.has(lang) ? commands : unknown).push(snippet);
  }
  return { commands, unknown };
}
