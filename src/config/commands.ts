import { z } from 'zod';
import { KEY_ALGORITHMS } from '../protocol/tokens.js';
import { configSchema } from './schema.js';

/**
 * The options of the commands that do not serve, with their defaults and help texts: `--help`
 * and the CLI's flags are generated from these. Where an option is a server setting (the key
 * directory, the token claims) it is that setting, default included, so the two can never
 * disagree; `.meta()` gives help a placeholder and marks the options given several times.
 */
export const keygenOptionsSchema = z.object({
  dir: configSchema.shape.keys.meta({ description: 'Directory the key files are written to', placeholder: 'dir' }),
  alg: z.enum(KEY_ALGORITHMS).default('RS256').meta({ description: `Algorithm of the key to generate (${KEY_ALGORITHMS.join(', ')})`, placeholder: 'alg' }),
});

export const tokenOptionsSchema = z.object({
  sub: z.string().optional().meta({ description: 'The client\'s name (the token\'s `sub`); required unless --check', placeholder: 'name' }),
  right: z
    .array(z.string())
    .optional()
    .meta({ description: 'A right to grant, such as all, brew:a.* or subscribe:a.**; a JSON object for an object right; repeat for several', placeholder: 'right', repeatable: true }),
  noRights: z.boolean().default(false).describe('Mint a token without any right (it can only authenticate)'),
  ttl: z.string().default('30d').meta({ description: 'How long the token lives (30d, 1h, 5m, 90s), or "never"', placeholder: 'ttl' }),
  jti: z.string().optional().meta({ description: 'The token\'s id (`jti`), what `admin revoke --jti` names', placeholder: 'id' }),
  alg: z.enum(KEY_ALGORITHMS).optional().meta({ description: 'Which signing key to use when the directory holds several', placeholder: 'alg' }),
  keys: configSchema.shape.keys.meta({ description: 'Key directory the signing (or, with --check, verification) keys are read from', placeholder: 'dir' }),
  issuer: configSchema.shape.issuer,
  audience: configSchema.shape.audience,
  check: z.string().optional().meta({ description: 'Verify this token as the server would and print its claims, instead of minting one', placeholder: 'token' }),
});

/**
 * The server setting each option stands for, whose env variable it reads when the flag is
 * absent (keygen's `--dir` is the server's key directory).
 */
export const KEYGEN_SETTINGS = { dir: 'keys' } as const;
export const TOKEN_SETTINGS = { keys: 'keys', issuer: 'issuer', audience: 'audience' } as const;

export const KEYGEN_DEFAULTS = keygenOptionsSchema.parse({});
export const TOKEN_DEFAULTS = tokenOptionsSchema.parse({});
