// A key directory of its own for the servers the suite starts (RS256 and ES256), and tokens minted
// with the project's own signing code, as `pubkeeper token` would mint them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../src/core/auth/signToken.js';
import type { VerificationKey } from '../src/core/auth/keys.js';
import { generateKeys, loadKeyDir } from '../src/server/keyFiles.js';

export type BenchAlg = 'RS256' | 'ES256';

export interface BenchKeys {
  readonly dir: string;
  readonly verification: readonly VerificationKey[];
  /** A token the suite's servers accept, signed with the key of `alg`. */
  mint(sub: string, alg?: BenchAlg, rights?: unknown[]): string;
}

const dirs: string[] = [];
process.once('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed when the bench exits. */
export function tempDir(prefix = 'pubkeeper-bench-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

let cached: BenchKeys | undefined;

export function benchKeys(): BenchKeys {
  if (cached) return cached;
  const dir = tempDir('pubkeeper-bench-keys-');
  generateKeys(dir, 'RS256');
  generateKeys(dir, 'ES256');
  const loaded = loadKeyDir(dir);
  const signer = (alg: BenchAlg) => {
    const key = loaded.signing.find((k) => k.alg === alg);
    if (!key) throw new Error(`no ${alg} key was generated`);
    return key;
  };
  cached = {
    dir,
    verification: loaded.verification,
    mint: (sub, alg = 'RS256', rights = ['all']) =>
      signToken(signer(alg), { sub, rights, ttlSeconds: 86_400, issuer: 'pubkeeper', audience: 'pubkeeper' }),
  };
  return cached;
}
