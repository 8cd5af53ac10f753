import { generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { importKey, type SigningKey } from '../../../src/core/auth/keys.js';
import { parseTtl, signToken } from '../../../src/core/auth/signToken.js';

const NOW = 1_700_000_000;
const base = { issuer: 'pubkeeper', audience: 'pubkeeper', nowSeconds: NOW };

function signer(imported: ReturnType<typeof importKey>): SigningKey {
  if (!imported.signing) throw new Error('no signing key');
  return imported.signing;
}

const es = signer(
  importKey(
    'es-main',
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    'private',
  ),
);
const hs = signer(importKey('hs-main', randomBytes(32), 'secret'));

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const decoded = jwt.decode(token, { complete: true });
  if (decoded === null || typeof decoded.payload === 'string') throw new Error('undecodable');
  return { header: decoded.header as unknown as Record<string, unknown>, payload: decoded.payload };
}

describe('parseTtl', () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['30d', 2_592_000],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds);
  });

  it.each(['', '0s', '10', 'h', '1w', '1.5h', '-5m', ' 5m', '5m ', '5M', '1h30m', '9999999999d'])(
    'refuses %j with one sentence',
    (text) => {
      expect(() => parseTtl(text)).toThrow(
        new Error(`Invalid TTL "${text}": use a positive whole number followed by s, m, h or d (e.g. 30d, 1h, 5m, 90s).`),
      );
    },
  );
});

describe('signToken', () => {
  it('puts the key kid and algorithm in the header', () => {
    const { header } = decode(signToken(es, { ...base, sub: 'alice', rights: [] }));
    expect(header).toMatchObject({ alg: 'ES256', kid: 'es-main' });
  });

  it('writes iss, aud, sub, iat, exp, jti and the rights as given', () => {
    const rights = ['brew:a.b', { topic: 'c', read: true }, 'all'];
    const token = signToken(hs, { ...base, sub: 'bob', rights, ttlSeconds: 60, jti: 'j-1' });
    expect(decode(token).payload).toEqual({
      iss: 'pubkeeper',
      aud: 'pubkeeper',
      sub: 'bob',
      iat: NOW,
      exp: NOW + 60,
      jti: 'j-1',
      rights,
    });
  });

  it('leaves exp and jti out when not asked for', () => {
    const { payload } = decode(signToken(hs, { ...base, sub: 'bob', rights: [] }));
    expect(payload).not.toHaveProperty('exp');
    expect(payload).not.toHaveProperty('jti');
  });

  it('refuses a subject the server would refuse', () => {
    expect(() => signToken(hs, { ...base, sub: 'a b', rights: [] })).toThrow(
      new Error('Invalid subject "a b": use 1 to 128 characters from A-Z a-z 0-9 . _ @ -.'),
    );
  });

  it('refuses rights the server would refuse', () => {
    expect(() => signToken(hs, { ...base, sub: 'bob', rights: ['brew:a', 'fly:away'] })).toThrow(
      new Error('Cannot sign the token: invalid rights: "fly:away" is not a valid right.'),
    );
  });

  it('refuses a TTL that is not a positive whole number', () => {
    for (const ttlSeconds of [0, -1, 1.5, Number.NaN]) {
      expect(() => signToken(hs, { ...base, sub: 'bob', rights: [], ttlSeconds })).toThrow(/^Invalid TTL/);
    }
  });
});
