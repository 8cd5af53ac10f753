import jwt from 'jsonwebtoken';
import { SUBJECT_PATTERN } from '../../protocol/pcpUri.js';
import type { SigningKey } from './keys.js';
import { parseRights } from './rights.js';

export interface TokenClaims {
  readonly sub: string;
  readonly rights: readonly unknown[];
  /** Absent: the token never expires (CONTRACT §3 makes `exp` optional). */
  readonly ttlSeconds?: number;
  readonly jti?: string;
  readonly issuer: string;
  readonly audience: string;
  readonly nowSeconds?: number;
}

const TTL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const TTL_SYNTAX = /^([0-9]{1,9})([smhd])$/;

/**
 * `30d`, `1h`, `5m`, `90s` → seconds. Bad input throws one exact sentence (the CLI exits 2 on it);
 * zero is refused because a token that is born expired is always a mistake.
 */
export function parseTtl(text: string): number {
  const match = TTL_SYNTAX.exec(text);
  const unit = match?.[2] === undefined ? undefined : TTL_UNITS[match[2]];
  const seconds = match?.[1] === undefined || unit === undefined ? 0 : Number(match[1]) * unit;
  if (seconds <= 0) {
    throw new Error(`Invalid TTL "${text}": use a positive whole number followed by s, m, h or d (e.g. 30d, 1h, 5m, 90s).`);
  }
  return seconds;
}

/**
 * Mints a token the server would accept: the subject and rights are checked first, so a typo
 * fails here (one exact sentence) instead of at the first connection. The header carries the
 * key's kid so the server can pick the key without trying each one.
 */
export function signToken(key: SigningKey, claims: TokenClaims): string {
  if (!SUBJECT_PATTERN.test(claims.sub)) {
    throw new Error(`Invalid subject "${claims.sub}": use 1 to 128 characters from A-Z a-z 0-9 . _ @ -.`);
  }
  const rights = parseRights(claims.rights);
  if (!rights.ok) throw new Error(`Cannot sign the token: ${rights.error.detail ?? 'invalid rights'}.`);
  const ttl = claims.ttlSeconds;
  if (ttl !== undefined && (!Number.isSafeInteger(ttl) || ttl <= 0)) {
    throw new Error(`Invalid TTL ${String(ttl)}: it must be a positive whole number of seconds.`);
  }
  const now = claims.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload = {
    iss: claims.issuer,
    aud: claims.audience,
    sub: claims.sub,
    iat: now,
    ...(ttl !== undefined ? { exp: now + ttl } : {}),
    ...(claims.jti !== undefined ? { jti: claims.jti } : {}),
    rights: [...claims.rights],
  };
  return jwt.sign(payload, key.key, { algorithm: key.alg, keyid: key.kid });
}
