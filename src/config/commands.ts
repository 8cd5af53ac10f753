import { z } from 'zod';
import { KEY_ALGORITHMS } from '../protocol/tokens.js';
import { configSchema } from './schema.js';

/**
 * The options of the commands that do not serve, with their defaults: where they match a server
 * setting (the key directory, the token claims) they are that setting, default included, so the
 * two can never disagree.
 */
export const keygenOptionsSchema = z.object({
  dir: configSchema.shape.keys,
  alg: z.enum(KEY_ALGORITHMS).default('RS256').describe('Algorithm of the key to generate'),
});

export const tokenOptionsSchema = z.object({
  keys: configSchema.shape.keys,
  issuer: configSchema.shape.issuer,
  audience: configSchema.shape.audience,
  ttl: z.string().default('30d').describe('How long the token lives (30d, 1h, 5m, 90s), or "never"'),
});

export const KEYGEN_DEFAULTS = keygenOptionsSchema.parse({});
export const TOKEN_DEFAULTS = tokenOptionsSchema.parse({});
