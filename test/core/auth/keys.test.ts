import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importKey } from '../../../src/core/auth/keys.js';

const spki = { type: 'spki', format: 'pem' } as const;
const pkcs8 = { type: 'pkcs8', format: 'pem' } as const;
// Generated once per file: RSA key generation is the slow part of this suite.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: spki, privateKeyEncoding: pkcs8 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding: spki, privateKeyEncoding: pkcs8 });

describe('importKey', () => {
  it('a PEM RSA public key verifies RS256 and cannot sign', () => {
    const imported = importKey('rs', rsa.publicKey, 'public');
    expect(imported.verification).toMatchObject({ kid: 'rs', alg: 'RS256' });
    expect(imported.verification.key.type).toBe('public');
    expect(imported.signing).toBeUndefined();
  });

  it('a PEM EC P-256 public key verifies ES256', () => {
    expect(importKey('es', ec.publicKey, 'public').verification.alg).toBe('ES256');
  });

  it('a PEM private key signs and derives its public verification key', () => {
    const imported = importKey('rs', Buffer.from(rsa.privateKey), 'private');
    expect(imported.signing).toMatchObject({ kid: 'rs', alg: 'RS256' });
    expect(imported.signing?.key.type).toBe('private');
    expect(imported.verification.key.type).toBe('public');
    expect(imported.verification.key.equals(importKey('x', rsa.publicKey, 'public').verification.key)).toBe(true);
    expect(importKey('es', ec.privateKey, 'private').signing?.alg).toBe('ES256');
  });

  it('an HS256 secret of 32+ bytes is one secret KeyObject for both directions', () => {
    const imported = importKey('hs', randomBytes(32), 'secret');
    expect(imported.verification.alg).toBe('HS256');
    expect(imported.verification.key.type).toBe('secret');
    expect(imported.signing?.key).toBe(imported.verification.key);
  });

  it('refuses an HS256 secret shorter than 32 bytes', () => {
    expect(() => importKey('hs', 'x'.repeat(31), 'secret')).toThrow(
      new Error('Key "hs": an HS256 secret must be at least 32 bytes long, got 31.'),
    );
  });

  it('refuses an EC key on a curve other than P-256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1', publicKeyEncoding: spki, privateKeyEncoding: pkcs8 });
    expect(() => importKey('es', p384.publicKey, 'public')).toThrow(
      new Error('Key "es" uses EC curve secp384r1, but ES256 needs P-256 (prime256v1).'),
    );
    expect(() => importKey('es', p384.privateKey, 'private')).toThrow(/needs P-256/);
  });

  it('refuses key types without a supported algorithm', () => {
    const ed = generateKeyPairSync('ed25519', { publicKeyEncoding: spki, privateKeyEncoding: pkcs8 });
    expect(() => importKey('ed', ed.publicKey, 'public')).toThrow(
      new Error('Key "ed" is of type ed25519, but only RSA (RS256), EC P-256 (ES256) and HS256 secrets are supported.'),
    );
  });

  it('refuses RSA keys under 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: spki, privateKeyEncoding: pkcs8 });
    expect(() => importKey('rs', small.publicKey, 'public')).toThrow(
      new Error('Key "rs": an RSA key must have at least 2048 bits, got 1024.'),
    );
  });

  it('refuses text that is not a PEM key, without quoting it', () => {
    let thrown: unknown;
    try {
      importKey('bad', 'not a key at all', 'public');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual(new Error('Key "bad" is not a readable unencrypted PEM public key.'));
    expect((thrown as Error).message).not.toContain('not a key at all');
    expect(() => importKey('bad', rsa.publicKey, 'private')).toThrow(/not a readable unencrypted PEM private key/);
  });
});
