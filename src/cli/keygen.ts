import { KEYGEN_DEFAULTS } from '../config/commands.js';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../protocol/tokens.js';
import { generateKeys } from '../server/keyFiles.js';
import { parseFlags, UsageError } from './flags.js';
import type { CliIo } from './io.js';

/** `pubkeeper keygen [--dir DIR] [--alg RS256|ES256|HS256]` */
export function keygen(args: string[], io: CliIo): number {
  const values = parseFlags(args, { dir: { type: 'string' }, alg: { type: 'string' } });
  const dir = (values.dir as string | undefined) ?? io.env.PUBKEEPER_KEYS ?? KEYGEN_DEFAULTS.dir;
  const alg = typeof values.alg === 'string' ? parseAlg(values.alg) : KEYGEN_DEFAULTS.alg;
  for (const file of generateKeys(dir, alg)) io.stdout(`${file}\n`);
  return 0;
}

export function parseAlg(text: string): KeyAlgorithm {
  const alg = text.toUpperCase();
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError(`unknown algorithm "${text}": use RS256, ES256 or HS256`);
  }
  return alg as KeyAlgorithm;
}
