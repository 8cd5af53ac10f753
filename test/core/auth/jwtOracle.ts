// The oracle of the differential test: verifyToken as it was before it checked signatures with
// node:crypto itself (commit 7d06b4b), i.e. `jsonwebtoken.verify` tried with each candidate key,
// its errors mapped to our details, plus the checks jsonwebtoken does not do. Kept verbatim in
// what it decides; it returns a plain summary instead of an Identity.
import jwt from 'jsonwebtoken';
import { SUBJECT_PATTERN } from '../../../src/protocol/pcpUri.js';
import { parseRights } from '../../../src/core/auth/rights.js';
import type { Keyring, VerifyOptions } from '../../../src/core/auth/verifyToken.js';

/** What a verifier decided, comparable with toEqual. */
export type Verdict =
  | { ok: true; sub: string; exp?: number; nbf?: number; jti?: string; rights: string[] }
  | { ok: false; code: string; detail: string | undefined };

export function oracleVerify(token: unknown, keyring: Keyring, opts: VerifyOptions): Verdict {
  if (typeof token !== 'string') return refuse('malformed token');
  const maxBytes = opts.maxTokenBytes;
  if (token.length > maxBytes || Buffer.byteLength(token, 'utf8') > maxBytes) return refuse('token too large');

  const header = readHeader(token);
  if (header === null) return refuse('malformed token');

  const sameAlg = keyring.keys.filter((k) => k.alg === header.alg);
  const kidNamesKey = header.kid !== undefined && keyring.keys.some((k) => k.kid === header.kid);
  const candidates = kidNamesKey ? sameAlg.filter((k) => k.kid === header.kid) : sameAlg;
  if (candidates.length === 0) return refuse('unsupported algorithm');

  for (const candidate of candidates) {
    let payload: unknown;
    try {
      payload = jwt.verify(token, candidate.key, {
        algorithms: [candidate.alg],
        issuer: opts.issuer,
        audience: opts.audience,
        ...(opts.nowSeconds !== undefined ? { clockTimestamp: opts.nowSeconds } : {}),
      });
    } catch (error) {
      const detail = describeFailure(error);
      if (detail === 'bad signature') continue;
      return refuse(detail);
    }
    return readClaims(payload);
  }
  return refuse('bad signature');
}

function readClaims(payload: unknown): Verdict {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return refuse('malformed token');
  const claims = payload as Record<string, unknown>;
  if (claims.sub === undefined) return refuse('missing sub');
  if (typeof claims.sub !== 'string' || !SUBJECT_PATTERN.test(claims.sub)) return refuse('invalid sub');
  if (claims.jti !== undefined && typeof claims.jti !== 'string') return refuse('invalid jti');
  const grants = parseRights(claims.rights === undefined ? [] : claims.rights);
  if (!grants.ok) return { ok: false, code: grants.error.code, detail: grants.error.detail };
  return {
    ok: true,
    sub: claims.sub,
    ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
    ...(typeof claims.nbf === 'number' ? { nbf: claims.nbf } : {}),
    ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
    rights: grants.value.describe(),
  };
}

function readHeader(token: string): { alg: string; kid: string | undefined } | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = decodeObject(parts[0]);
  if (header === null || decodeObject(parts[1]) === null) return null;
  const { alg, kid } = header;
  if (typeof alg !== 'string') return null;
  return { alg, kid: typeof kid === 'string' ? kid : undefined };
}

function decodeObject(encoded: string | undefined): Record<string, unknown> | null {
  if (encoded === undefined || !/^[A-Za-z0-9_-]+$/.test(encoded)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return value as Record<string, unknown>;
}

/** jsonwebtoken's errors as our details. */
export function describeFailure(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'token expired';
  if (error instanceof jwt.NotBeforeError) return 'token not yet valid';
  if (error instanceof jwt.JsonWebTokenError) {
    const message = error.message;
    if (message === 'invalid signature') return 'bad signature';
    if (message.startsWith('jwt issuer invalid')) return 'wrong issuer';
    if (message.startsWith('jwt audience invalid')) return 'wrong audience';
    if (message === 'invalid algorithm' || message.startsWith('secretOrPublicKey must be')) return 'unsupported algorithm';
  }
  return 'malformed token';
}

function refuse(detail: string): Verdict {
  return { ok: false, code: 'UNAUTHENTICATED', detail };
}
