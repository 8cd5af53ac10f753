import { KEYGEN_DEFAULTS, KEYGEN_SETTINGS } from '../config/commands.js';
import { envName } from '../config/schema.js';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../protocol/tokens.js';
import { generateKeys } from '../server/keyFiles.js';
import type { CliIo } from './io.js';
import type { FlagValues } from './options.js';
import { UsageError } from './usageError.js';

/** `pubkeeper keygen [--dir DIR] [--alg RS256|ES256|HS256]` (flags declared in program.ts) */
export function keygen(values: FlagValues, io: CliIo): number {
  const dir = (values.dir as string | undefined) ?? io.env[envName(KEYGEN_SETTINGS.dir)] ?? KEYGEN_DEFAULTS.dir;
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
