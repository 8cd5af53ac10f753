// The layout holds by machine (STYLE §1, ARCHITECTURE.md): `npm run lint` refuses an import
// against the layer direction, and src/core has no import cycle.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The rule ids ESLint reports for `code` as if it were the file `path` of the repo. */
async function lint(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('lint holds the layer direction', () => {
  const against: [string, string][] = [
    ['src/core/fixture.ts', "import { PubkeeperServer } from '../server/pubkeeperServer.js';"],
    ['src/core/dialects/fixture.ts', "import { loadConfig } from '../../config/load.js';"],
    ['src/core/fixture.ts', "import { WebSocket } from 'ws';"],
    ['src/core/fixture.ts', "import { readFileSync } from 'node:fs';"],
    ['src/core/fixture.ts', "import { readFileSync } from 'fs';"],
    ['src/core/fixture.ts', "import { readFile } from 'node:fs/promises';"],
    ['src/core/fixture.ts', "import { createServer } from 'http';"],
    ['src/protocol/fixture.ts', "import { connect } from 'node:tls';"],
    ['src/cli/fixture.ts', "import { PcpClient } from '../client/pcpClient.js';"],
    ['src/protocol/fixture.ts', "import { Hub } from '../core/hub.js';"],
    ['src/protocol/pcp/fixture.ts', "import { PcpClient } from '../../client/pcpClient.js';"],
    ['src/config/fixture.ts', "import { Hub } from '../core/hub.js';"],
    ['src/server/fixture.ts', "import { main } from '../cli/main.js';"],
    ['src/client/fixture.ts', "import { Hub } from '../core/hub.js';"],
    ['src/client/fixture.ts', "import { loadConfig } from '../config/load.js';"],
  ];
  for (const [path, line] of against) {
    it(`refuses in ${path}: ${line}`, async () => {
      expect(await lint(path, `${line}\nexport const used = [${/import \{ (\w+) \}/.exec(line)?.[1]}];\n`)).toContain('no-restricted-imports');
    });
  }

  it('lets each folder import the folders above it', async () => {
    const code = "import { ok } from '../protocol/errors.js';\nexport const used = [ok];\n";
    for (const folder of ['core', 'config', 'server', 'cli', 'client']) expect(await lint(`src/${folder}/fixture.ts`, code)).toEqual([]);
    expect(await lint('src/server/fixture.ts', "import { Hub } from '../core/hub.js';\nexport const used = [Hub];\n")).toEqual([]);
  });

  it('refuses a module loaded at run time in the inner layers', async () => {
    expect(await lint('src/core/fixture.ts', "export const later = (): Promise<unknown> => import('../server/start.js');\n")).toContain('no-restricted-syntax');
  });

  it('refuses console in src/ outside the CLI, and explicit any', async () => {
    expect(await lint('src/core/fixture.ts', "console.log('x');\n")).toContain('no-console');
    expect(await lint('src/cli/fixture.ts', "console.log('x');\n")).toEqual([]);
    expect(await lint('src/server/fixture.ts', 'export const x: any = 1;\n')).toContain('@typescript-eslint/no-explicit-any');
  });
});

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative imports of a file (type-only ones included), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1] ?? '');
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Each cycle found by a depth-first walk, as the files on it. */
function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((to) => files.includes(to))]));
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of graph.get(file) ?? []) {
      if (state.get(to) === 'open') found.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe('src/core has no import cycle', () => {
  const core = sources(join(ROOT, 'src/core'));

  it('finds the core files and their imports', () => {
    expect(core.length).toBeGreaterThan(20);
    expect(importsOf(join(ROOT, 'src/core/hub.ts')).length).toBeGreaterThan(5);
  });

  it('no file of src/core reaches itself through its imports, type imports included', () => {
    expect(cycles(core).map((cycle) => cycle.map((f) => relative(ROOT, f)).join(' → '))).toEqual([]);
  });

  it('the checker does find a cycle', () => {
    const fixtures = join(ROOT, 'test/fixtures/cycle');
    expect(cycles(sources(fixtures)).length).toBeGreaterThan(0);
  });
});
