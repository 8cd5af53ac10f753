import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A fresh directory under the OS temp dir, removed after the file's tests: the teardown is
 * registered in the same call that creates it, so no test can leak it.
 */
export function tempDir(prefix = 'pubkeeper-auth-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** base64url of a JSON value, for tokens crafted by hand. */
export function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
