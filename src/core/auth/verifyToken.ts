import jwt from 'jsonwebtoken';
import { fail, ok, type Result } from '../../protocol/errors.js';
import { SUBJECT_PATTERN } from '../../protocol/pcpUri.js';
import type { VerificationKey } from './keys.js';
import { parseRights, type Grants } from './rights.js';

/** The keys a server accepts tokens from; each fixes its own algorithm. */
export interface Keyring {
  readonly keys: readonly VerificationKey[];
}

/** Who a verified token says the client is, and what it may do. */
export interface Identity {
  readonly sub: string;
  /** Seconds since the epoch; absent means the token never expires. */
  readonly exp?: number;
  readonly nbf?: number;
  /** For revocation. */
  readonly jti?: string;
  readonly grants: Grants;
  /** The token itself, for a later refresh comparison; never log it. */
  readonly token: string;
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Refused before any decoding above this many UTF-8 bytes (`--max-token-bytes`). */
  readonly maxTokenBytes: number;
  /** The clock, in seconds; tests and fake timers pass it. */
  readonly nowSeconds?: number;
}

/**
 * Checks a token (CONTRACT §3). Every failure is UNAUTHENTICATED with a short detail we wrote
 * ('token expired', 'bad signature'…); the token never appears in a message.
 */
export function verifyToken(token: unknown, keyring: Keyring, opts: VerifyOptions): Result<Identity> {
  if (typeof token !== 'string') return refuse('malformed token');
  // Size before anything else: a 100 KB token costs one length check.
  const maxBytes = opts.maxTokenBytes;
  if (token.length > maxBytes || Buffer.byteLength(token, 'utf8') > maxBytes) return refuse('token too large');

  const header = readHeader(token);
  if (header === null) return refuse('malformed token');

  // Only keys fixed to the header's algorithm are candidates: `alg: none`, or HS256 over an RSA
  // public key (algorithm confusion), finds no key and is refused here. A kid that names a key
  // narrows the search to it; an unknown kid is ignored rather than trusted.
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
      // Another key of the same algorithm may have signed it; any other failure is final,
      // since jsonwebtoken checks claims only after the signature held.
      if (detail === 'bad signature') continue;
      return refuse(detail);
    }
    return readClaims(payload, token);
  }
  return refuse('bad signature');
}

/** The checks jsonwebtoken does not do: `sub`, `jti`, `rights`. */
function readClaims(payload: unknown, token: string): Result<Identity> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return refuse('malformed token');
  }
  const claims = payload as Record<string, unknown>;
  if (claims.sub === undefined) return refuse('missing sub');
  if (typeof claims.sub !== 'string' || !SUBJECT_PATTERN.test(claims.sub)) return refuse('invalid sub');
  if (claims.jti !== undefined && typeof claims.jti !== 'string') return refuse('invalid jti');

  // A token without `rights` is valid and grants nothing: it may still connect to PCP
  // (CONTRACT §5) and absence can only ever mean fewer rights. A present non-array is refused.
  const grants = parseRights(claims.rights === undefined ? [] : claims.rights);
  if (!grants.ok) return grants;

  // jsonwebtoken already refused non-numeric exp/nbf.
  const identity: Identity = {
    sub: claims.sub,
    ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
    ...(typeof claims.nbf === 'number' ? { nbf: claims.nbf } : {}),
    ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
    grants: grants.value,
    token,
  };
  return ok(identity);
}

interface Header {
  alg: string;
  kid: string | undefined;
}

/**
 * Decodes the JOSE header by hand so the key choice never depends on a library's guess, and
 * checks the payload is a JSON object (jsonwebtoken would pass a string payload on to its claim
 * checks and report a misleading 'wrong audience').
 */
function readHeader(token: string): Header | null {
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

/** Maps jsonwebtoken's errors to our short details; its own messages may quote claims. */
function describeFailure(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'token expired';
  if (error instanceof jwt.NotBeforeError) return 'token not yet valid';
  if (error instanceof jwt.JsonWebTokenError) {
    const message = error.message;
    if (message === 'invalid signature') return 'bad signature';
    if (message.startsWith('jwt issuer invalid')) return 'wrong issuer';
    if (message.startsWith('jwt audience invalid')) return 'wrong audience';
    if (message === 'invalid algorithm' || message.startsWith('secretOrPublicKey must be')) {
      return 'unsupported algorithm';
    }
  }
  return 'malformed token';
}

function refuse(detail: string): Result<never> {
  return fail('UNAUTHENTICATED', detail);
}
