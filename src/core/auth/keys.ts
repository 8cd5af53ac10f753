import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from '../../protocol/tokens.js';

/**
 * Keys come into the core as values (STYLE §1): `server/keyFiles.ts` reads the files, this module
 * turns their bytes into KeyObjects once, so a token is never verified against a PEM string and
 * jsonwebtoken never guesses what kind of key it holds.
 */

/** A key that checks signatures. Each key accepts exactly one algorithm (CONTRACT §3). */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  /** Public KeyObject for RS256/ES256, secret KeyObject for HS256. */
  readonly key: KeyObject;
}

/** A key that signs tokens: private KeyObject for RS256/ES256, secret KeyObject for HS256. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly key: KeyObject;
}

/** What the bytes are: a PEM public key, a PEM private key, or raw HS256 secret bytes. */
export type KeyMaterialKind = 'public' | 'private' | 'secret';

export interface ImportedKey {
  readonly verification: VerificationKey;
  /** Present for private keys and HS secrets; a public key cannot sign. */
  readonly signing?: SigningKey;
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;
/** jsonwebtoken refuses smaller RSA keys when verifying; say so at startup instead. */
export const MIN_RSA_BITS = 2048;

/**
 * Imports one key. Misconfiguration (unreadable PEM, unsupported key type or curve, short secret)
 * throws a plain Error with one exact sentence naming the kid.
 */
export function importKey(kid: string, material: string | Buffer, kind: KeyMaterialKind): ImportedKey {
  switch (kind) {
    case 'public': {
      const key = readPem(kid, material, kind, createPublicKey);
      return { verification: { kid, alg: algorithmOf(kid, key), key } };
    }
    case 'private': {
      const key = readPem(kid, material, kind, createPrivateKey);
      const alg = algorithmOf(kid, key);
      return { verification: { kid, alg, key: createPublicKey(key) }, signing: { kid, alg, key } };
    }
    case 'secret': {
      const bytes = typeof material === 'string' ? Buffer.from(material, 'utf8') : material;
      if (bytes.length < MIN_HS256_SECRET_BYTES) {
        throw new Error(
          `Key "${kid}": an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes long, got ${bytes.length}.`,
        );
      }
      // HMAC has one key for both directions: the same KeyObject signs and verifies.
      const key = createSecretKey(Buffer.from(bytes));
      return { verification: { kid, alg: 'HS256', key }, signing: { kid, alg: 'HS256', key } };
    }
  }
}

function readPem(
  kid: string,
  material: string | Buffer,
  kind: 'public' | 'private',
  create: (pem: string | Buffer) => KeyObject,
): KeyObject {
  try {
    return create(material);
  } catch (cause) {
    // The crypto message may quote the material; keep it in `cause` only.
    throw new Error(`Key "${kid}" is not a readable unencrypted PEM ${kind} key.`, { cause });
  }
}

/** The algorithm is fixed by the key's type: RSA → RS256, EC P-256 → ES256, nothing else. */
function algorithmOf(kid: string, key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new Error(`Key "${kid}": an RSA key must have at least ${MIN_RSA_BITS} bits, got ${bits}.`);
    }
    return 'RS256';
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    if (curve !== 'prime256v1') {
      throw new Error(`Key "${kid}" uses EC curve ${curve}, but ES256 needs P-256 (prime256v1).`);
    }
    return 'ES256';
  }
  throw new Error(
    `Key "${kid}" is of type ${type ?? 'unknown'}, but only RSA (RS256), EC P-256 (ES256) and HS256 secrets are supported.`,
  );
}
