import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import type { VerificationKey } from './keys.js';

/** What one key says of a token's signature: the refusals are verifyToken's details. */
export type SignatureCheck = 'valid' | 'bad signature' | 'malformed token' | 'unsupported algorithm';

/** RFC 7518 §3.4: an ES256 signature is R and S, 32 bytes each, side by side (IEEE P1363). */
const ES256_SIGNATURE_BYTES = 64;

/**
 * Checks `signature` (the token's third segment, already known to be base64url) over
 * `signingInput` (`header.payload`) with one key, the way jsonwebtoken 9 (jws, jwa) does:
 * - HS256: the HMAC's base64url text must equal the segment, compared in constant time; jwa
 *   compares text, not bytes, so a segment whose last character carries stray bits is refused;
 * - RS256: RSASSA-PKCS1-v1_5 with SHA-256 over the decoded bytes;
 * - ES256: ECDSA P-256 with SHA-256, the signature exactly 64 bytes of R‖S (a DER signature, or a
 *   truncated one, is malformed: jwa's "signatures must be 64 bytes").
 * Node decodes the segment as jwa does (both forgive stray bits in the last character).
 */
export function checkSignature(candidate: VerificationKey, signingInput: Buffer, signature: string): SignatureCheck {
  const misfit = keyMisfit(candidate);
  if (misfit !== undefined) return misfit;
  const { key } = candidate;
  try {
    switch (candidate.alg) {
      case 'HS256': {
        const expected = createHmac('sha256', key).update(signingInput).digest('base64url');
        const same =
          signature.length === expected.length &&
          timingSafeEqual(Buffer.from(signature, 'latin1'), Buffer.from(expected, 'latin1'));
        return same ? 'valid' : 'bad signature';
      }
      case 'RS256':
        return verify('sha256', signingInput, key, Buffer.from(signature, 'base64url')) ? 'valid' : 'bad signature';
      case 'ES256': {
        const bytes = Buffer.from(signature, 'base64url');
        if (bytes.length !== ES256_SIGNATURE_BYTES) return 'malformed token';
        const valid = verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, bytes);
        return valid ? 'valid' : 'bad signature';
      }
    }
  } catch {
    // OpenSSL refusing the input outright; jsonwebtoken passes such a throw on, which reads as
    // malformed. No known input gets here.
    return 'malformed token';
  }
}

/**
 * A key that cannot carry its algorithm gets jsonwebtoken's refusal. importKey never builds
 * one (the type fixes the algorithm); a keyring assembled by hand could, and then the token is
 * refused rather than checked with the wrong primitive.
 */
function keyMisfit({ alg, key }: VerificationKey): SignatureCheck | undefined {
  // 'secretOrPublicKey must be a symmetric/an asymmetric key when using …'
  if (alg === 'HS256') return key.type === 'secret' ? undefined : 'unsupported algorithm';
  if (key.type !== 'public') return 'unsupported algorithm';
  // validateAsymmetricKey: '"alg" parameter for "…" key type must be one of…', '… requires curve …'
  const fits =
    alg === 'RS256'
      ? key.asymmetricKeyType === 'rsa'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return fits ? undefined : 'malformed token';
}
