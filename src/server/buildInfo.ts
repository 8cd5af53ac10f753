import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `pubkeeper_build_info` says of the running build. */
export interface BuildInfo {
  readonly version: string;
  readonly node: string;
  /** The commit the package was made from, when its package.json says (`gitHead`, set by npm). */
  readonly commit?: string;
}

let cached: BuildInfo | undefined;

/**
 * This package's version, read once from its package.json: the nearest one above this module
 * named `pubkeeper` (the module runs from `dist/src/server/` when installed, `src/server/` under
 * the tests). `pubkeeper --version` says the same.
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  let version = 'unknown';
  let commit: string | undefined;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = readPackage(join(dir, 'package.json'));
    if (pkg?.name === 'pubkeeper' && typeof pkg.version === 'string') {
      version = pkg.version;
      if (typeof pkg.gitHead === 'string') commit = pkg.gitHead;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  cached = { version, node: process.version, ...(commit === undefined ? {} : { commit }) };
  return cached;
}

function readPackage(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    // No package.json here: look further up.
    return undefined;
  }
}
