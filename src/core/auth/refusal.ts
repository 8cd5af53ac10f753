/** Where a token is checked: a log field and a metric label. In-band /ws dialects are `ws`. */
export type AuthSurface = 'ws' | 'pcp' | 'relay' | 'admin' | 'metrics';

/**
 * Why an authentication was refused, as a closed set: these are metric label values, so nothing a
 * client sends may become one. verifyToken's details map onto them (`refusalReason`).
 */
export type AuthRefusalReason =
  | 'missing'
  | 'malformed'
  | 'too_large'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'not_yet_valid'
  | 'expired'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'invalid_claims'
  | 'revoked'
  | 'other_subject'
  | 'too_many_refreshes'
  | 'timeout'
  | 'too_many_failures'
  | 'forbidden'
  | 'wrong_token'
  | 'bad_certificate'
  | 'other';

/** One refused authentication, as the hub reports it (`authRefused`). Never the token. */
export interface AuthRefusal {
  readonly surface: AuthSurface;
  readonly reason: AuthRefusalReason;
  /** The peer, when the surface knows it. */
  readonly remoteAddress?: string | undefined;
  /** Who, when that is known: an authenticated session's subject, or a valid token without the right. */
  readonly sub?: string | undefined;
  /** The session and its dialect, for the in-band dialects. */
  readonly session?: string | undefined;
  readonly dialect?: string | undefined;
  /** The HTTP path refused, for the admin plane. */
  readonly path?: string | undefined;
}

// verifyToken's own sentences (and the revocation's), each to its label.
const BY_DETAIL: ReadonlyMap<string, AuthRefusalReason> = new Map([
  ['malformed token', 'malformed'],
  ['token too large', 'too_large'],
  ['unsupported algorithm', 'unsupported_algorithm'],
  ['bad signature', 'bad_signature'],
  ['token not yet valid', 'not_yet_valid'],
  ['token expired', 'expired'],
  ['wrong audience', 'wrong_audience'],
  ['wrong issuer', 'wrong_issuer'],
  ['missing sub', 'invalid_claims'],
  ['invalid sub', 'invalid_claims'],
  ['invalid jti', 'invalid_claims'],
  ['token revoked', 'revoked'],
]);

/** The label of a refusal's detail; `other` for any sentence this table does not know. */
export function refusalReason(detail: string | undefined): AuthRefusalReason {
  if (detail === undefined) return 'other';
  // The rights' sentences name the offending right: only their prefix is fixed.
  if (detail.startsWith('invalid rights')) return 'invalid_claims';
  return BY_DETAIL.get(detail) ?? 'other';
}
