import { TOKEN_DEFAULTS } from '../config/commands.js';
import { configSchema } from '../config/schema.js';
import { verifyToken } from '../core/auth/verifyToken.js';
import { loadKeyDir } from '../server/keyFiles.js';
import type { CliIo } from './io.js';

/**
 * `pubkeeper token --check TOKEN`: verifies the token with the keys, issuer and audience a server
 * with the same settings would use, and prints its claims as JSON (exit 0), or one line saying why
 * it is refused (exit 1). Revocations are the server's own: ask it (`pubkeeper admin`).
 */
export function checkToken(token: string, dir: string | undefined, io: CliIo, claimsFrom: { issuer?: string; audience?: string } = {}): number {
  const keys = loadKeyDir(dir ?? io.env.PUBKEEPER_KEYS ?? TOKEN_DEFAULTS.keys);
  const verified = verifyToken(token, { keys: keys.verification }, {
    issuer: claimsFrom.issuer ?? io.env.PUBKEEPER_ISSUER ?? TOKEN_DEFAULTS.issuer,
    audience: claimsFrom.audience ?? io.env.PUBKEEPER_AUDIENCE ?? TOKEN_DEFAULTS.audience,
    maxTokenBytes: configSchema.shape.maxTokenBytes.parse(io.env.PUBKEEPER_MAX_TOKEN_BYTES),
  });
  if (!verified.ok) {
    io.stderr(`pubkeeper token --check: refused: ${verified.error.message}\n`);
    return 1;
  }
  // The signature holds: the payload is what was signed.
  const payload = Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8');
  io.stdout(`${JSON.stringify(JSON.parse(payload) as unknown, null, 2)}\n`);
  return 0;
}
