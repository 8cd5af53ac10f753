import * as nodeCrypto from 'node:crypto';
import { fail, ok, type Result } from '../../protocol/errors.js';
import { SUBJECT_PATTERN } from '../../protocol/pcpUri.js';
import type { VerificationKey } from './keys.js';
import type { Grants } from './rights.js';
import { sharedGrants } from './sharedGrants.js';
import { checkSignature } from './signature.js';

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
  /**
   * The token's length and SHA-256 (base64url), for `holdsToken`. The token itself is not kept:
   * a session only needs to know a refresh with the very token it holds.
   */
  readonly tokenLength: number;
  readonly tokenDigest: string;
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Refused before any decoding above this many UTF-8 bytes (`--max-token-bytes`). */
  readonly maxTokenBytes: number;
  /** The clock, in seconds; tests and fake timers pass it. */
  readonly nowSeconds?: number;
}

/** A JOSE segment: unpadded base64url, as jsonwebtoken's JWS pattern wants it, never empty. */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a token (CONTRACT §3) with node:crypto directly. It accepts exactly what
 * `jsonwebtoken.verify(token, key, {algorithms: [key.alg], issuer, audience})` accepted for one of
 * the candidate keys, with the same refusals in the same order (verifyDifferential.test.ts holds
 * it to that with jsonwebtoken as the oracle). Decoding the header and payload once, not twice,
 * and checking the signature without jws's string round trips pays for our own checks (`sub`,
 * rights, the refresh digest): the whole costs what a bare jsonwebtoken.verify costs (bench/
 * authVerify.ts). Every failure is UNAUTHENTICATED with a short detail we wrote ('token
 * expired', 'bad signature'…); the token never appears in a message.
 */
export function verifyToken(token: unknown, keyring: Keyring, opts: VerifyOptions): Result<Identity> {
  if (typeof token !== 'string') return refuse('malformed token');
  // Size before anything else: a 100 KB token costs one length check.
  const maxBytes = opts.maxTokenBytes;
  if (token.length > maxBytes || Buffer.byteLength(token, 'utf8') > maxBytes) return refuse('token too large');

  const parts = token.split('.');
  if (parts.length !== 3) return refuse('malformed token');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  // Decoded by hand so the key choice never depends on a library's guess. The payload is parsed
  // here, once, so that a payload that is not a JSON object is 'malformed token' whatever the
  // signature (jsonwebtoken would pass a string payload on to its claim checks and report a
  // misleading 'wrong audience'); nothing in it is read before the signature holds.
  const header = decodeObject(headerPart);
  const payload = header === null ? null : decodeObject(payloadPart);
  if (header === null || payload === null || typeof header.alg !== 'string') return refuse('malformed token');
  const { alg, kid } = header;

  // Only keys fixed to the header's algorithm are candidates: `alg: none`, or HS256 over an RSA
  // public key (algorithm confusion), finds no key and is refused here. A kid that names a key
  // narrows the search to it; an unknown kid is ignored rather than trusted.
  const { keys } = keyring;
  const kidNamesKey = typeof kid === 'string' && keys.some((k) => k.kid === kid);
  const candidates = keys.filter((k) => k.alg === alg && (!kidNamesKey || k.kid === kid));
  if (candidates.length === 0) return refuse('unsupported algorithm');
  // An empty signature or one outside base64url: jsonwebtoken's 'jwt signature is required' and
  // 'jwt malformed', which it reports before it looks at the key.
  if (!BASE64URL.test(signaturePart)) return refuse('malformed token');

  // Every part passed BASE64URL, so the signing input is ASCII and latin1 is its UTF-8.
  const signingInput = Buffer.from(token.slice(0, headerPart.length + 1 + payloadPart.length), 'latin1');
  for (const candidate of candidates) {
    const check = checkSignature(candidate, signingInput, signaturePart);
    // Another key of the same algorithm may have signed it; any other failure is final, as it
    // was when jsonwebtoken checked each key in turn.
    if (check === 'bad signature') continue;
    if (check !== 'valid') return refuse(check);
    return readClaims(payload, token, opts);
  }
  return refuse('bad signature');
}

/**
 * True when `token` is the very token `identity` was verified from: the refresh shortcut.
 *
 * A session keeps a 43-character digest instead of its token (≈ 540 characters for RS256).
 * Comparing only the signature segment would not do: it is 342 characters for RS256, and a token
 * with the held token's signature but another header or payload would pass as the held one
 * without being verified. The SHA-256 of the whole token costs under a microsecond (see
 * bench/authVerify.ts) and is only computed when the lengths agree, so an oversized token costs
 * nothing. Passing as the held token takes a second preimage of SHA-256, and would only ever
 * return the identity the session already holds.
 */
export function holdsToken(identity: Identity, token: unknown): boolean {
  return typeof token === 'string' && token.length === identity.tokenLength && digestOf(token) === identity.tokenDigest;
}

// crypto.hash (Node 20.12+) is a third of a Hash object's cost; the package allows any Node 20.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

function digestOf(token: string): string {
  if (oneShotHash !== undefined) return oneShotHash('sha256', token, 'base64url');
  return nodeCrypto.createHash('sha256').update(token).digest('base64url');
}

/**
 * The claims, read only once the signature held: first jsonwebtoken's checks in its order and
 * with its refusals (nbf, exp, aud, iss; no clock tolerance), then ours (`sub`, `jti`, `rights`).
 */
function readClaims(claims: Record<string, unknown>, token: string, opts: VerifyOptions): Result<Identity> {
  // (jsonwebtoken would read a clockTimestamp of 0 as "now"; no caller passes 0.)
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const { nbf, exp, aud } = claims;
  // A present nbf or exp that is not a number ('invalid nbf value', 'invalid exp value') is
  // malformed; `null` counts as present. jsonwebtoken reads `iat` only for maxAge, which we never pass.
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return refuse('malformed token');
    if (nbf > now) return refuse('token not yet valid');
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') return refuse('malformed token');
    if (now >= exp) return refuse('token expired');
  }
  // `aud` is our audience, or an array holding it; an empty expected value checks nothing, as in
  // jsonwebtoken (the config schema refuses one).
  if (opts.audience && aud !== opts.audience && !(Array.isArray(aud) && aud.includes(opts.audience))) {
    return refuse('wrong audience');
  }
  if (opts.issuer && claims.iss !== opts.issuer) return refuse('wrong issuer');

  if (claims.sub === undefined) return refuse('missing sub');
  if (typeof claims.sub !== 'string' || !SUBJECT_PATTERN.test(claims.sub)) return refuse('invalid sub');
  if (claims.jti !== undefined && typeof claims.jti !== 'string') return refuse('invalid jti');

  // A token without `rights` is valid and grants nothing: it may still connect to PCP
  // (CONTRACT §5) and absence can only ever mean fewer rights. A present non-array is refused.
  const grants = sharedGrants(claims.rights === undefined ? [] : claims.rights);
  if (!grants.ok) return grants;

  // Every identity has the same properties in the same order, absent claims as undefined: one
  // hidden class for all of them, where optional spreads made one per combination.
  const identity: Identity = {
    sub: claims.sub,
    exp: typeof exp === 'number' ? exp : undefined,
    nbf: typeof nbf === 'number' ? nbf : undefined,
    jti: claims.jti,
    grants: grants.value,
    tokenLength: token.length,
    tokenDigest: digestOf(token),
  };
  return ok(identity);
}

function decodeObject(encoded: string): Record<string, unknown> | null {
  if (!BASE64URL.test(encoded)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return value as Record<string, unknown>;
}

function refuse(detail: string): Result<never> {
  return fail('UNAUTHENTICATED', detail);
}
