import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyAlgorithm } from '../../src/protocol/tokens.js';
import { signToken } from '../../src/core/auth/signToken.js';
import { generateKeys, loadKeyDir, type LoadedKeys } from '../../src/server/keyFiles.js';

export interface TestKeys {
  dir: string;
  keys: LoadedKeys;
  /** A token this key directory's server accepts. */
  mint(sub: string, rights?: unknown[], options?: { ttlSeconds?: number; jti?: string; nowSeconds?: number }): string;
}

const cache = new Map<KeyAlgorithm, TestKeys>();
const dirs: string[] = [];

process.once('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A key directory in the temp folder, generated once per test file and algorithm (RSA keygen is
 * the slow part), removed when the worker exits.
 */
export function tempKeys(alg: KeyAlgorithm = 'ES256'): TestKeys {
  const cached = cache.get(alg);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'pubkeeper-keys-'));
  dirs.push(dir);
  generateKeys(dir, alg);
  const keys = loadKeyDir(dir);
  const signing = keys.signing[0];
  if (!signing) throw new Error('no signing key generated');
  const made: TestKeys = {
    dir,
    keys,
    mint: (sub, rights = ['all'], options = {}) =>
      signToken(signing, { sub, rights, issuer: 'pubkeeper', audience: 'pubkeeper', ...options }),
  };
  cache.set(alg, made);
  return made;
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pubkeeper-'));
  dirs.push(dir);
  return dir;
}
