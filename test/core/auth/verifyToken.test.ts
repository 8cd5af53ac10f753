import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { importKey, type SigningKey } from '../../../src/core/auth/keys.js';
import { signToken } from '../../../src/core/auth/signToken.js';
import { holdsToken, verifyToken, type Identity, type Keyring } from '../../../src/core/auth/verifyToken.js';
import { generateKeys, loadKeyDir, pickSigningKey } from '../../../src/server/keyFiles.js';
import type { Result } from '../../../src/protocol/errors.js';
import { segment, tempDir } from './fixtures.js';

const ISSUER = 'pubkeeper';
const AUDIENCE = 'pubkeeper';
const NOW = 1_700_000_000;
// The server's default token size cap, from the one config schema.
const MAX_TOKEN_BYTES = loadConfig().maxTokenBytes;
const opts = { issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: MAX_TOKEN_BYTES, nowSeconds: NOW };

const dir = tempDir();
let keyring: Keyring;
let rs: SigningKey;
let es: SigningKey;
let hs: SigningKey;
let rsaPublicPem: string;

beforeAll(() => {
  // Real keys, written and read back the way `serve` does; generated once for the whole file.
  generateKeys(dir, 'RS256');
  generateKeys(dir, 'ES256');
  generateKeys(dir, 'HS256');
  const loaded = loadKeyDir(dir);
  keyring = { keys: loaded.verification };
  rs = pickSigningKey(loaded.signing, 'RS256');
  es = pickSigningKey(loaded.signing, 'ES256');
  hs = pickSigningKey(loaded.signing, 'HS256');
  rsaPublicPem = readFileSync(join(dir, 'rs256.pub'), 'utf8');
});

interface MintOptions {
  sub?: string;
  rights?: unknown[];
  ttlSeconds?: number;
  nowSeconds?: number;
}

function mint(key: SigningKey, extra: MintOptions = {}): string {
  return signToken(key, {
    sub: extra.sub ?? 'alice',
    rights: extra.rights ?? ['subscribe:a.*'],
    issuer: ISSUER,
    audience: AUDIENCE,
    nowSeconds: extra.nowSeconds ?? NOW,
    ...(extra.ttlSeconds !== undefined ? { ttlSeconds: extra.ttlSeconds } : {}),
  });
}

/** Signs arbitrary claims with jsonwebtoken directly, for claims signToken refuses to write. */
function mintRaw(key: SigningKey, payload: Record<string, unknown>, header: { kid?: string } = { kid: key.kid }): string {
  return jwt.sign(payload, key.key, {
    algorithm: key.alg,
    noTimestamp: true,
    ...(header.kid !== undefined ? { keyid: header.kid } : {}),
  });
}

const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  iat: NOW,
  rights: [],
  ...over,
});

function accepted(result: Result<Identity>): Identity {
  if (!result.ok) throw new Error(`token refused: ${result.error.message}`);
  return result.value;
}

function refusal(result: Result<Identity>): string | undefined {
  if (result.ok) throw new Error('token accepted');
  expect(result.error.code).toBe('UNAUTHENTICATED');
  expect(result.error.message).toBe(`Unauthenticated Request: ${result.error.detail ?? ''}`);
  return result.error.detail;
}

describe('verifyToken accepts', () => {
  it.each(['RS256', 'ES256', 'HS256'] as const)('a token signed with the %s key', (alg) => {
    const key = { RS256: () => rs, ES256: () => es, HS256: () => hs }[alg]();
    const token = signToken(key, {
      sub: 'alice@example.com',
      rights: ['brew:a.b'],
      ttlSeconds: 3600,
      jti: 'tok-1',
      issuer: ISSUER,
      audience: AUDIENCE,
      nowSeconds: NOW,
    });
    const identity = accepted(verifyToken(token, keyring, opts));
    expect(identity.sub).toBe('alice@example.com');
    expect(identity.exp).toBe(NOW + 3600);
    expect(identity.jti).toBe('tok-1');
    expect(holdsToken(identity, token)).toBe(true);
    expect(identity.grants.canBrew(['a', 'b'])).toBe(true);
    expect(identity.grants.describe()).toEqual(['brew:a.b']);
  });

  it('a token without exp (it never expires) and without kid', () => {
    const token = mintRaw(es, claims(), {});
    const identity = accepted(verifyToken(token, keyring, { ...opts, nowSeconds: NOW + 10 * 365 * 86400 }));
    expect(identity.exp).toBeUndefined();
  });

  it('a token whose kid names no key, by trying the keys of its algorithm', () => {
    expect(verifyToken(mintRaw(hs, claims(), { kid: 'rotated-away' }), keyring, opts).ok).toBe(true);
  });

  it('a token with nbf in the past, and reports nbf', () => {
    const identity = accepted(verifyToken(mintRaw(rs, claims({ nbf: NOW - 5 })), keyring, opts));
    expect(identity.nbf).toBe(NOW - 5);
  });

  it('a token without a rights claim, granting nothing', () => {
    const payload = claims();
    delete payload.rights;
    const identity = accepted(verifyToken(mintRaw(rs, payload), keyring, opts));
    expect(identity.grants.describe()).toEqual([]);
    expect(identity.grants.canBrew(['a'])).toBe(false);
  });

  it('with the real clock when nowSeconds is not given', () => {
    const token = mint(hs, { nowSeconds: Math.floor(Date.now() / 1000), ttlSeconds: 60 });
    expect(verifyToken(token, keyring, { issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: MAX_TOKEN_BYTES }).ok).toBe(true);
  });
});

describe('verifyToken refuses', () => {
  it('alg none (unsigned token crafted by hand)', () => {
    const token = `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims({ rights: ['all'] }))}.`;
    expect(refusal(verifyToken(token, keyring, opts))).toBe('unsupported algorithm');
  });

  it('HS256 signed with the RSA public key PEM as the HMAC secret (algorithm confusion)', () => {
    const forge = (header: Record<string, unknown>): string => {
      const input = `${segment(header)}.${segment(claims({ rights: ['all'] }))}`;
      return `${input}.${createHmac('sha256', rsaPublicPem).update(input).digest('base64url')}`;
    };
    const rsOnly: Keyring = { keys: keyring.keys.filter((k) => k.alg === 'RS256') };
    expect(refusal(verifyToken(forge({ alg: 'HS256', typ: 'JWT' }), rsOnly, opts))).toBe('unsupported algorithm');
    // The kid names the RSA key, whose algorithm is RS256: no HS256 key is even tried.
    expect(refusal(verifyToken(forge({ alg: 'HS256', kid: 'rs256' }), keyring, opts))).toBe('unsupported algorithm');
    // Without a kid the HS256 secret is tried, and the forged HMAC does not match it.
    expect(refusal(verifyToken(forge({ alg: 'HS256' }), keyring, opts))).toBe('bad signature');
  });

  it('an algorithm no key has (RS384 signed with the RSA key by hand)', () => {
    const input = `${segment({ alg: 'RS384', kid: 'rs256' })}.${segment(claims())}`;
    const sig = createSign('sha384').update(input).sign(rs.key).toString('base64url');
    expect(refusal(verifyToken(`${input}.${sig}`, keyring, opts))).toBe('unsupported algorithm');
  });

  it('a signature by another key of the same algorithm', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const stranger: SigningKey = { kid: 'es256', alg: 'ES256', key: other.privateKey };
    expect(refusal(verifyToken(mint(stranger), keyring, opts))).toBe('bad signature');
  });

  it('a tampered payload', () => {
    const [header, , signature] = mint(rs).split('.');
    const forged = `${header}.${segment(claims({ rights: ['all'] }))}.${signature}`;
    expect(refusal(verifyToken(forged, keyring, opts))).toBe('bad signature');
  });

  it('a wrong issuer', () => {
    expect(refusal(verifyToken(mintRaw(rs, claims({ iss: 'someone-else' })), keyring, opts))).toBe('wrong issuer');
  });

  it('a missing issuer', () => {
    const payload = claims();
    delete payload.iss;
    expect(refusal(verifyToken(mintRaw(rs, payload), keyring, opts))).toBe('wrong issuer');
  });

  it('a wrong audience', () => {
    expect(refusal(verifyToken(mintRaw(es, claims({ aud: 'other-service' })), keyring, opts))).toBe('wrong audience');
  });

  it('a configured issuer/audience the token does not carry', () => {
    const token = mint(hs);
    expect(refusal(verifyToken(token, keyring, { ...opts, issuer: 'corp' }))).toBe('wrong issuer');
    expect(refusal(verifyToken(token, keyring, { ...opts, audience: 'corp' }))).toBe('wrong audience');
  });

  it('an expired token', () => {
    const token = mint(rs, { nowSeconds: NOW - 3600, ttlSeconds: 60 });
    expect(refusal(verifyToken(token, keyring, opts))).toBe('token expired');
  });

  it('a token whose nbf is in the future', () => {
    expect(refusal(verifyToken(mintRaw(hs, claims({ nbf: NOW + 60 })), keyring, opts))).toBe('token not yet valid');
  });

  it('a token without sub', () => {
    const payload = claims();
    delete payload.sub;
    expect(refusal(verifyToken(mintRaw(rs, payload), keyring, opts))).toBe('missing sub');
  });

  it.each([
    ['a space', 'al ice'],
    ['a slash', 'a/b'],
    ['129 characters', 'a'.repeat(129)],
    ['an empty string', ''],
    ['a number', 42],
  ])('an invalid sub: %s', (_label, sub) => {
    expect(refusal(verifyToken(mintRaw(hs, claims({ sub })), keyring, opts))).toBe('invalid sub');
  });

  it('an invalid right, naming it', () => {
    const token = mintRaw(rs, claims({ rights: ['brew:a', 'xyz'] }));
    expect(refusal(verifyToken(token, keyring, opts))).toBe('invalid rights: "xyz" is not a valid right');
  });

  it('rights that are not an array', () => {
    expect(refusal(verifyToken(mintRaw(rs, claims({ rights: 'all' })), keyring, opts))).toBe(
      'invalid rights: must be an array',
    );
  });

  it('a non-string jti', () => {
    expect(refusal(verifyToken(mintRaw(rs, claims({ jti: 7 })), keyring, opts))).toBe('invalid jti');
  });

  it.each([
    ['abc', 'abc'],
    ['an empty string', ''],
    ['three garbage parts', 'a.b.c'],
    ['a header that is not JSON', `${Buffer.from('{nope').toString('base64url')}.e30.sig`],
    ['a header without alg', `${segment({ typ: 'JWT' })}.e30.sig`],
    ['a payload that is not JSON', `${segment({ alg: 'HS256' })}.bm9wZQ.sig`],
    ['four parts', 'a.b.c.d'],
  ])('a malformed token: %s', (_label, token) => {
    expect(refusal(verifyToken(token, keyring, opts))).toBe('malformed token');
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { token: 'x' }],
  ])('a token that is not a string: %s', (_label, token) => {
    expect(refusal(verifyToken(token, keyring, opts))).toBe('malformed token');
  });

  it('a valid signature over a payload that is not a JSON object', () => {
    const input = `${segment({ alg: 'HS256', kid: 'hs256' })}.${Buffer.from('"just a string"').toString('base64url')}`;
    const sig = createHmac('sha256', hs.key).update(input).digest('base64url');
    expect(refusal(verifyToken(`${input}.${sig}`, keyring, opts))).toBe('malformed token');
  });

  it('a 100 KB token, before decoding it', () => {
    const huge = `${segment({ alg: 'RS256' })}.${'A'.repeat(100 * 1024)}.sig`;
    expect(refusal(verifyToken(huge, keyring, opts))).toBe('token too large');
    // Not even a valid token shape is looked at: size comes first.
    expect(refusal(verifyToken('x'.repeat(100 * 1024), keyring, opts))).toBe('token too large');
  });

  it('a token over a configured maxTokenBytes, counting UTF-8 bytes', () => {
    const token = mint(hs);
    expect(verifyToken(token, keyring, { ...opts, maxTokenBytes: token.length }).ok).toBe(true);
    expect(refusal(verifyToken(token, keyring, { ...opts, maxTokenBytes: token.length - 1 }))).toBe('token too large');
    expect(refusal(verifyToken('é'.repeat(5000), keyring, opts))).toBe('token too large');
  });

  it('with an empty keyring', () => {
    expect(refusal(verifyToken(mint(rs), { keys: [] }, opts))).toBe('unsupported algorithm');
  });

  it('never quoting the token in the error', () => {
    const token = mint(rs, { nowSeconds: NOW - 3600, ttlSeconds: 1 });
    const result = verifyToken(token, keyring, opts);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      for (const part of token.split('.')) expect(result.error.message).not.toContain(part);
    }
  });
});

describe('holdsToken: the refresh shortcut', () => {
  it('knows the very token an identity came from, and nothing else', () => {
    const token = mint(rs);
    const identity = accepted(verifyToken(token, keyring, opts));
    // A copy built anew, not the same string object.
    expect(holdsToken(identity, `${token.slice(0, 5)}${token.slice(5)}`)).toBe(true);
    // Same length, one character changed: in the signature, in the payload, in the header.
    for (const at of [token.length - 3, token.indexOf('.') + 5, 3]) {
      const other = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
      expect(other.length).toBe(token.length);
      expect(holdsToken(identity, other)).toBe(false);
    }
    expect(holdsToken(identity, `${token}A`)).toBe(false);
    expect(holdsToken(identity, token.slice(0, -1))).toBe(false);
    expect(holdsToken(identity, mint(rs))).toBe(true); // the same claims at the same second: the same token
    expect(holdsToken(identity, mint(rs, { sub: 'bob' }))).toBe(false);
    expect(holdsToken(identity, undefined)).toBe(false);
    expect(holdsToken(identity, { token })).toBe(false);
  });

  it('keeps a digest, not the token', () => {
    const token = mint(es, { ttlSeconds: 60 });
    const identity = accepted(verifyToken(token, keyring, opts));
    const kept = JSON.stringify(identity);
    for (const part of token.split('.')) expect(kept).not.toContain(part);
    expect(identity.tokenDigest).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('verifyToken key choice', () => {
  it('tries every key of the algorithm when the kid names none', () => {
    const second = importKey('hs-b', 'b'.repeat(40), 'secret');
    const ring: Keyring = { keys: [...keyring.keys, second.verification] };
    const signer = second.signing;
    if (!signer) throw new Error('no signing key');
    expect(verifyToken(mintRaw(signer, claims(), {}), ring, opts).ok).toBe(true);
    expect(verifyToken(mintRaw(hs, claims(), {}), ring, opts).ok).toBe(true);
  });

  it('only the named key when the kid names one', () => {
    const second = importKey('hs-b', 'b'.repeat(40), 'secret');
    const ring: Keyring = { keys: [...keyring.keys, second.verification] };
    // Signed by hs256 but claiming to be hs-b: the right secret is never tried.
    expect(refusal(verifyToken(mintRaw(hs, claims(), { kid: 'hs-b' }), ring, opts))).toBe('bad signature');
  });
});
