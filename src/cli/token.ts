import { TOKEN_DEFAULTS, TOKEN_SETTINGS } from '../config/commands.js';
import { envName } from '../config/schema.js';
import { parseTtl, signToken } from '../core/auth/signToken.js';
import { loadKeyDir, pickSigningKey } from '../server/keyFiles.js';
import type { CliIo } from './io.js';
import { parseAlg } from './keygen.js';
import type { FlagValues } from './options.js';
import { checkToken } from './tokenCheck.js';
import { UsageError } from './usageError.js';

/**
 * `pubkeeper token --sub NAME [--right R]... [--ttl 30d] [--jti ID]`: one signed JWT on stdout and
 * nothing else there. A right that starts with `{` is read as a JSON object right. Without `--ttl`
 * it lives 30 days (`--ttl never`: for ever); without a right it is refused unless `--no-rights`.
 * `pubkeeper token --check TOKEN`: see tokenCheck.ts. Flags are declared in program.ts, from
 * the token options schema.
 */
export function token(values: FlagValues, io: CliIo): number {
  if (typeof values.check === 'string') {
    return checkToken(values.check, values.keys as string | undefined, io, {
      issuer: values.issuer as string | undefined,
      audience: values.audience as string | undefined,
    });
  }
  const sub = values.sub;
  if (typeof sub !== 'string') throw new UsageError('missing --sub NAME');
  const rights = ((values.right as string[] | undefined) ?? []).map(parseRight);
  // A token without a right can only authenticate: most likely a forgotten --right.
  if (rights.length === 0 && values['no-rights'] !== true) {
    throw new UsageError('no --right given: add one (e.g. --right all), or --no-rights for a token that can only authenticate');
  }
  if (rights.length > 0 && values['no-rights'] === true) throw new UsageError('--no-rights and --right together');
  const ttl = (values.ttl as string | undefined) ?? TOKEN_DEFAULTS.ttl;
  const dir = (values.keys as string | undefined) ?? io.env[envName(TOKEN_SETTINGS.keys)] ?? TOKEN_DEFAULTS.keys;
  const alg = typeof values.alg === 'string' ? parseAlg(values.alg) : undefined;
  const key = pickSigningKey(loadKeyDir(dir).signing, alg);
  const jwt = signToken(key, {
    sub,
    rights,
    ttlSeconds: ttl === 'never' ? undefined : parseTtl(ttl),
    jti: values.jti as string | undefined,
    issuer: (values.issuer as string | undefined) ?? io.env[envName(TOKEN_SETTINGS.issuer)] ?? TOKEN_DEFAULTS.issuer,
    audience: (values.audience as string | undefined) ?? io.env[envName(TOKEN_SETTINGS.audience)] ?? TOKEN_DEFAULTS.audience,
  });
  io.stdout(`${jwt}\n`);
  return 0;
}

function parseRight(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`right ${text} is not valid JSON`);
  }
}
