import { createHmac, createPrivateKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface Claims {
  [key: string]: unknown;
}

export const now = (): number => Math.floor(Date.now() / 1000);

export function baseClaims(extra: Claims = {}): Claims {
  return { iss: 'pubkeeper', aud: 'pubkeeper', sub: 'alice', rights: ['all'], iat: now(), ...extra };
}

/** An unsigned `alg: none` token. */
export function noneToken(claims: Claims = baseClaims()): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

/** HS256 "signed" with a PEM public key as the HMAC secret: the classic algorithm confusion. */
export function confusedToken(publicPem: string, claims: Claims = baseClaims()): string {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
}

/** ES256 token signed by a key the server does not know. */
export function foreignToken(claims: Claims = baseClaims()): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const head = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url(claims)}`;
  const sig = cryptoSign('sha256', Buffer.from(head), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${sig.toString('base64url')}`;
}

/** ES256 token with arbitrary claims signed by the test key directory's key. */
export function signedWith(keyDir: string, claims: Claims, kid = 'es256'): string {
  const key = createPrivateKey(readFileSync(join(keyDir, `${kid}.key`)));
  const head = `${b64url({ alg: 'ES256', typ: 'JWT', kid })}.${b64url(claims)}`;
  const sig = cryptoSign('sha256', Buffer.from(head), { key, dsaEncoding: 'ieee-p1363' });
  return `${head}.${sig.toString('base64url')}`;
}

export function publicPem(keyDir: string, kid = 'es256'): string {
  return readFileSync(join(keyDir, `${kid}.pub`), 'utf8');
}
