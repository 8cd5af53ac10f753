// Where the suite finds the repo and the compiled scripts it starts as child processes. The suite
// runs from dist/bench (npm run bench) or from bench/ itself (the smoke test, through vitest);
// either way the children are the compiled ones in dist/, which `npm run build` writes.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`No package.json above ${from}.`);
    dir = up;
  }
  return dir;
}

/** The repository root (the folder holding package.json). */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The CLI entry, which loads dist/src. */
export const BIN = join(ROOT, 'bin', 'pubkeeper.js');

/** A compiled bench script, e.g. `servers/rawBroadcast.js`. */
export function distBench(file: string): string {
  const path = join(ROOT, 'dist', 'bench', file);
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" first.`);
  return path;
}
