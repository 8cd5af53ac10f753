// Tokens for the differential test of verifyToken against jsonwebtoken: hand-built, valid and
// hostile, with their header and payload written as raw JSON text so that duplicate keys, 1e400,
// BOMs and bad UTF-8 reach the verifiers as they would from a client.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { importKey, type VerificationKey } from '../../../src/core/auth/keys.js';
import type { KeyAlgorithm } from '../../../src/protocol/tokens.js';
import { anyValue } from '../../helpers/fuzz/mutators.js';
import type { Rng } from '../../helpers/fuzz/rng.js';

export const ISSUER = 'pubkeeper';
export const AUDIENCE = 'pubkeeper';
export const NOW = 1_700_000_000;

/** A key that signs: its kid, algorithm, the signing KeyObject and its verification half. */
export interface TestSigner {
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly key: KeyObject;
  readonly verification: VerificationKey;
  /** The public key as PEM text (RSA, EC), what an algorithm-confusion forger uses as HMAC secret. */
  readonly pem?: string;
}

export function makeSigner(kid: string, alg: KeyAlgorithm): TestSigner {
  if (alg === 'HS256') {
    const imported = importKey(kid, `${kid}-${'s'.repeat(40)}`, 'secret');
    return { kid, alg, key: imported.verification.key, verification: imported.verification };
  }
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const imported = importKey(kid, privatePem, 'private');
  if (imported.signing === undefined) throw new Error('no signing half');
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { kid, alg, key: imported.signing.key, verification: imported.verification, pem };
}

export const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

/** The signature segment over `input` with `signer`'s key, as the algorithm `alg` would make it. */
export function signInput(alg: KeyAlgorithm, key: KeyObject | string, input: string, der = false): string {
  switch (alg) {
    case 'HS256':
      return createHmac('sha256', key).update(input).digest('base64url');
    case 'RS256':
      return sign('sha256', Buffer.from(input), key).toString('base64url');
    case 'ES256':
      return sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: der ? 'der' : 'ieee-p1363' }).toString('base64url');
  }
}

/** A token from raw header and payload JSON text, signed by `signer` (or its signature left as given). */
export function rawToken(signer: TestSigner, headerText: string | Buffer, payloadText: string | Buffer, der = false): string {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  return `${input}.${signInput(signer.alg, signer.key, input, der)}`;
}

export const headerOf = (signer: TestSigner, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ alg: signer.alg, typ: 'JWT', kid: signer.kid, ...extra });

export const goodClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  iat: NOW,
  exp: NOW + 3600,
  rights: ['subscribe:a.*'],
  ...over,
});

/** A token with good claims (overridden by `over`) signed by `signer` with its kid. */
export function token(signer: TestSigner, over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return rawToken(signer, headerOf(signer, header), JSON.stringify(goodClaims(over)));
}

/** Claim values that stress the checks: types jsonwebtoken refuses, boundaries, arrays. */
export const CLAIM_VARIANTS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['valid', {}],
  ['no exp', { exp: undefined }],
  ['exp now (expired: now >= exp)', { exp: NOW }],
  ['exp now+1', { exp: NOW + 1 }],
  ['exp now-1', { exp: NOW - 1 }],
  ['exp fractional', { exp: NOW + 0.5 }],
  ['exp fractional past', { exp: NOW - 0.5 }],
  ['exp 0', { exp: 0 }],
  ['exp negative', { exp: -1 }],
  ['exp 1e308', { exp: 1e308 }],
  ['exp string', { exp: String(NOW + 3600) }],
  ['exp null', { exp: null }],
  ['exp true', { exp: true }],
  ['exp array', { exp: [NOW + 3600] }],
  ['exp object', { exp: {} }],
  ['nbf now', { nbf: NOW }],
  ['nbf now+1', { nbf: NOW + 1 }],
  ['nbf now+0.5', { nbf: NOW + 0.5 }],
  ['nbf past', { nbf: NOW - 100 }],
  ['nbf string', { nbf: String(NOW) }],
  ['nbf null', { nbf: null }],
  ['nbf future and expired', { nbf: NOW + 10, exp: NOW - 10 }],
  ['nbf bad type and expired', { nbf: 'x', exp: NOW - 10 }],
  ['expired and wrong aud and iss', { exp: NOW - 10, aud: 'x', iss: 'y' }],
  ['wrong aud and iss', { aud: 'x', iss: 'y' }],
  ['iat string (never read)', { iat: 'yesterday' }],
  ['iat in the future', { iat: NOW + 9999 }],
  ['iss wrong', { iss: 'someone-else' }],
  ['iss missing', { iss: undefined }],
  ['iss array', { iss: [ISSUER] }],
  ['iss case', { iss: 'PubKeeper' }],
  ['iss null', { iss: null }],
  ['aud wrong', { aud: 'other' }],
  ['aud missing', { aud: undefined }],
  ['aud array holding ours', { aud: ['x', AUDIENCE] }],
  ['aud array without ours', { aud: ['x', 'y'] }],
  ['aud empty array', { aud: [] }],
  ['aud nested array', { aud: [[AUDIENCE]] }],
  ['aud array of null', { aud: [null] }],
  ['aud number', { aud: 7 }],
  ['aud object', { aud: { pubkeeper: true } }],
  ['sub missing', { sub: undefined }],
  ['sub null', { sub: null }],
  ['sub number', { sub: 42 }],
  ['sub with a space', { sub: 'al ice' }],
  ['sub unicode', { sub: 'álice' }],
  ['sub 128 chars', { sub: 'a'.repeat(128) }],
  ['sub 129 chars', { sub: 'a'.repeat(129) }],
  ['jti string', { jti: 'tok-1' }],
  ['jti number', { jti: 7 }],
  ['jti null', { jti: null }],
  ['rights missing', { rights: undefined }],
  ['rights all', { rights: ['all'] }],
  ['rights string', { rights: 'all' }],
  ['rights invalid', { rights: ['brew:a', 'xyz'] }],
  ['rights object form', { rights: [{ topic: 'a.*', read: true, write: false }] }],
  ['huge claim', { note: 'x'.repeat(5000) }],
  ['many claims', Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`c${i}`, i]))],
];

/** Payload texts JSON.stringify cannot write. */
export const RAW_PAYLOADS: ReadonlyArray<readonly [string, string | Buffer]> = [
  ['exp 1e400 (Infinity)', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice","exp":1e400}`],
  ['exp -1e400', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice","exp":-1e400}`],
  ['nbf -1e400', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice","nbf":-1e400}`],
  ['nbf 1e400', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice","nbf":1e400}`],
  ['duplicate aud, last ours', `{"iss":"${ISSUER}","aud":"x","aud":"${AUDIENCE}","sub":"alice"}`],
  ['duplicate exp, last past', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice","exp":${NOW + 99},"exp":1}`],
  ['__proto__ claims', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice","__proto__":{"exp":1,"rights":["all"]}}`],
  ['whitespace around', ` \n{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice"}\t `],
  ['BOM first', `\ufeff{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice"}`],
  ['unicode issuer', `{"iss":"pübkeeper","aud":"${AUDIENCE}","sub":"alice"}`],
  ['escaped issuer', `{"iss":"\\u0070ubkeeper","aud":"${AUDIENCE}","sub":"alice"}`],
  ['empty object', '{}'],
  ['null', 'null'],
  ['array', '[]'],
  ['string', '"alice"'],
  ['number', '42'],
  ['true', 'true'],
  ['not JSON', '{nope'],
  ['empty', ''],
  ['bad UTF-8 in iss', Buffer.from(`{"iss":"pubkeeper\xc3","aud":"${AUDIENCE}","sub":"alice"}`, 'latin1')],
  ['trailing garbage', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"alice"}x`],
];

/** Header variants over a signer's own algorithm and kid. */
export function headerVariants(signer: TestSigner, otherAlgKid: string): ReadonlyArray<readonly [string, string | Buffer]> {
  const { alg, kid } = signer;
  return [
    ['typ JWT with kid', JSON.stringify({ alg, typ: 'JWT', kid })],
    ['no typ', JSON.stringify({ alg, kid })],
    ['typ jwt lower', JSON.stringify({ alg, typ: 'jwt', kid })],
    ['typ other', JSON.stringify({ alg, typ: 'at+jwt', kid })],
    ['no kid', JSON.stringify({ alg, typ: 'JWT' })],
    ['unknown kid', JSON.stringify({ alg, kid: 'rotated-away' })],
    ['kid of another algorithm', JSON.stringify({ alg, kid: otherAlgKid })],
    ['kid number', JSON.stringify({ alg, kid: 7 })],
    ['kid null', JSON.stringify({ alg, kid: null })],
    ['crit', JSON.stringify({ alg, kid, crit: ['exp'] })],
    ['b64 false', JSON.stringify({ alg, kid, b64: false })],
    ['escaped alg', `{"alg":"\\u00${alg.charCodeAt(0).toString(16)}${alg.slice(1)}","kid":"${kid}"}`],
    ['duplicate alg, ours last', `{"alg":"none","alg":"${alg}","kid":"${kid}"}`],
    ['duplicate alg, none last', `{"alg":"${alg}","alg":"none","kid":"${kid}"}`],
    ['alg lower case', JSON.stringify({ alg: alg.toLowerCase(), kid })],
    ['alg with a space', JSON.stringify({ alg: `${alg} `, kid })],
    ['alg null', JSON.stringify({ alg: null, kid })],
    ['alg array', JSON.stringify({ alg: [alg], kid })],
    ['alg none', JSON.stringify({ alg: 'none', kid })],
    ['alg None', JSON.stringify({ alg: 'None' })],
    ['header null', 'null'],
    ['header array', JSON.stringify([alg])],
    ['header string', JSON.stringify(alg)],
    ['header not JSON', `{"alg":"${alg}"`],
    ['bad UTF-8 in kid', Buffer.from(`{"alg":"${alg}","kid":"\xff\xc3\x80"}`, 'latin1')],
    ['kid unicode', JSON.stringify({ alg, kid: `${kid}é` })],
  ];
}

/** A random claims object near the good one: a few claims replaced by hostile JSON values. */
export function randomClaims(rng: Rng): Record<string, unknown> {
  const claims = goodClaims();
  const names = ['exp', 'nbf', 'iat', 'iss', 'aud', 'sub', 'jti', 'rights'];
  for (let i = rng.range(1, 3); i > 0; i--) {
    const name = rng.pick(names);
    claims[name] = rng.chance(0.3) ? undefined : rng.chance(0.2) ? NOW + rng.range(-5, 5) : anyValue(rng);
  }
  return claims;
}

const DAMAGE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ é';

/** `text` with one to three characters replaced, inserted or deleted, or cut short. */
export function damage(rng: Rng, text: string): string {
  let out = text;
  for (let i = rng.range(1, 3); i > 0; i--) {
    const at = rng.int(out.length + 1);
    const char = DAMAGE_CHARS[rng.int(DAMAGE_CHARS.length)] ?? 'A';
    const kind = rng.int(4);
    if (kind === 0) out = out.slice(0, at) + char + out.slice(at + 1);
    else if (kind === 1) out = out.slice(0, at) + char + out.slice(at);
    else if (kind === 2) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at);
  }
  return out;
}
