// verifyToken checks signatures with node:crypto itself; jsonwebtoken is the oracle. Every token
// below goes through both verifyToken and jwtOracle.ts (the verifier as it was, jsonwebtoken.verify
// tried key by key), and both must decide the same: accepted with the same identity, or refused
// with the same detail. An accepted token must also pass a bare jsonwebtoken.verify with one of
// the keyring's keys.
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VerificationKey } from '../../../src/core/auth/keys.js';
import { verifyToken, type Keyring, type VerifyOptions } from '../../../src/core/auth/verifyToken.js';
import { Rng } from '../../helpers/fuzz/rng.js';
import { oracleVerify, type Verdict } from './jwtOracle.js';
import {
  AUDIENCE,
  b64,
  CLAIM_VARIANTS,
  damage,
  goodClaims,
  headerOf,
  headerVariants,
  ISSUER,
  makeSigner,
  NOW,
  RAW_PAYLOADS,
  randomClaims,
  rawToken,
  signInput,
  token,
  type TestSigner,
} from './tokenCorpus.js';

const OPTS: VerifyOptions = { issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: 8192, nowSeconds: NOW };

interface Case {
  readonly label: string;
  readonly token: unknown;
  readonly keyring?: Keyring;
  readonly opts?: VerifyOptions;
}

let rs: TestSigner, rsB: TestSigner, es: TestSigner, esB: TestSigner, hs: TestSigner, hsB: TestSigner;
/** Keys outside the keyring that sign with a keyring key's kid. */
let rsX: TestSigner, esX: TestSigner, hsX: TestSigner;
let keyring: Keyring;
let signers: TestSigner[];

beforeAll(() => {
  [rs, rsB, es, esB, hs, hsB] = [
    makeSigner('rs256', 'RS256'),
    makeSigner('rs-b', 'RS256'),
    makeSigner('es256', 'ES256'),
    makeSigner('es-b', 'ES256'),
    makeSigner('hs256', 'HS256'),
    makeSigner('hs-b', 'HS256'),
  ];
  [rsX, esX, hsX] = [makeSigner('rs256', 'RS256'), makeSigner('es256', 'ES256'), makeSigner('hs256', 'HS256')];
  signers = [rs, rsB, es, esB, hs, hsB];
  keyring = { keys: signers.map((s) => s.verification) };
}, 30_000);

function ours(input: unknown, ring: Keyring, opts: VerifyOptions): Verdict {
  const result = verifyToken(input, ring, opts);
  if (!result.ok) return { ok: false, code: result.error.code, detail: result.error.detail };
  const { sub, exp, nbf, jti, grants } = result.value;
  return {
    ok: true,
    sub,
    ...(exp !== undefined ? { exp } : {}),
    ...(nbf !== undefined ? { nbf } : {}),
    ...(jti !== undefined ? { jti } : {}),
    rights: grants.describe(),
  };
}

/** A bare jsonwebtoken.verify with some keyring key of the header's algorithm accepts it. */
function bareAccepts(input: string, ring: Keyring, opts: VerifyOptions): boolean {
  const alg = (jwt.decode(input, { complete: true })?.header.alg ?? '') as jwt.Algorithm;
  return ring.keys.some((k) => {
    if (k.alg !== alg) return false;
    try {
      jwt.verify(input, k.key, { algorithms: [alg], issuer: opts.issuer, audience: opts.audience, clockTimestamp: opts.nowSeconds });
      return true;
    } catch {
      return false;
    }
  });
}

const seen = new Map<string, number>();

/** Runs every case through both verifiers; returns the disagreements, labelled. */
function disagreements(cases: readonly Case[]): string[] {
  const out: string[] = [];
  for (const c of cases) {
    const ring = c.keyring ?? keyring;
    const opts = c.opts ?? OPTS;
    const mine = ours(c.token, ring, opts);
    const oracle = oracleVerify(c.token, ring, opts);
    const tally = mine.ok ? 'accepted' : `${mine.detail ?? ''}`;
    seen.set(tally, (seen.get(tally) ?? 0) + 1);
    if (JSON.stringify(mine) !== JSON.stringify(oracle)) {
      out.push(`${c.label}: ours ${JSON.stringify(mine)} jsonwebtoken ${JSON.stringify(oracle)}`);
    } else if (mine.ok && typeof c.token === 'string' && !bareAccepts(c.token, ring, opts)) {
      out.push(`${c.label}: accepted, but no bare jsonwebtoken.verify accepts it`);
    }
  }
  return out;
}

/** The signature segment replaced; the rest of `base` kept. */
const withSignature = (base: string, signature: string): string => `${base.slice(0, base.lastIndexOf('.'))}.${signature}`;
const signatureOf = (base: string): string => base.slice(base.lastIndexOf('.') + 1);

/** P-256's group order n: (r, n − s) is the other valid signature of the same message. */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

function highS(signature: string): string {
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
  return Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url');
}

describe('verifyToken against jsonwebtoken', () => {
  it('claims of every kind, with each keyring key', () => {
    const cases = signers.flatMap((s) =>
      CLAIM_VARIANTS.map(([label, over]) => ({ label: `${s.kid} ${label}`, token: token(s, over) })),
    );
    expect(disagreements(cases)).toEqual([]);
  });

  it('payloads JSON.stringify cannot write, with and without typ JWT', () => {
    const cases = signers.flatMap((s) =>
      RAW_PAYLOADS.flatMap(([label, text]) => [
        { label: `${s.kid} ${label}`, token: rawToken(s, headerOf(s), text) },
        { label: `${s.kid} ${label} (no typ)`, token: rawToken(s, JSON.stringify({ alg: s.alg, kid: s.kid }), text) },
      ]),
    );
    expect(disagreements(cases)).toEqual([]);
  });

  it('headers: kid variants, typ, crit, duplicate and escaped alg', () => {
    const other: Record<string, string> = { RS256: 'es256', ES256: 'hs256', HS256: 'rs256' };
    const cases = [rs, es, hs, rsX, esX, hsX, rsB].flatMap((s) =>
      headerVariants(s, other[s.alg] ?? 'x').map(([label, header]) => ({
        label: `${s.kid}${[rsX, esX, hsX].includes(s) ? ' (stranger)' : ''} ${label}`,
        token: rawToken(s, header, JSON.stringify(goodClaims())),
      })),
    );
    // Signed by one keyring key while naming the other key of its algorithm.
    cases.push({ label: 'rs-b signs as rs256', token: token(rsB, {}, { kid: 'rs256' }) });
    cases.push({ label: 'es-b signs without kid', token: token(esB, {}, { kid: undefined }) });
    expect(disagreements(cases)).toEqual([]);
  });

  it('signatures: truncated, padded, re-encoded, bit-flipped, from another key or token', () => {
    const cases: Case[] = [];
    const rng = new Rng(11);
    for (const s of [rs, es, hs]) {
      const base = token(s);
      const sig = signatureOf(base);
      const add = (label: string, signature: string): void => {
        cases.push({ label: `${s.kid} ${label}`, token: withSignature(base, signature) });
      };
      add('as signed', sig);
      for (const n of [1, 2, 3, 4, 8]) add(`${n} characters cut`, sig.slice(0, -n));
      add('half', sig.slice(0, sig.length >> 1));
      add('empty', '');
      for (const tail of ['A', 'AA', 'AAA', 'AAAA', 'Q', '_', '-']) add(`+ ${tail}`, sig + tail);
      for (const pad of ['=', '==']) add(`padded ${pad}`, sig + pad);
      add('standard base64', Buffer.from(sig, 'base64url').toString('base64'));
      add('with a space', `${sig.slice(0, 5)} ${sig.slice(5)}`);
      // Every last character: some decode to the same bytes (stray low bits).
      for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') add(`last ${c}`, sig.slice(0, -1) + c);
      for (let i = 0; i < 12; i++) {
        const bytes = Buffer.from(sig, 'base64url');
        const at = rng.int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
        add(`bit flipped at ${at}`, bytes.toString('base64url'));
      }
      add('of another token', signatureOf(token(s, { sub: 'mallory' })));
      add('by a stranger key', signatureOf(token({ RS256: rsX, ES256: esX, HS256: hsX }[s.alg], {})));
      const [header, , signature] = base.split('.');
      cases.push({ label: `${s.kid} tampered payload`, token: `${header}.${b64(JSON.stringify(goodClaims({ rights: ['all'] })))}.${signature}` });
      cases.push({ label: `${s.kid} tampered header`, token: `${b64(headerOf(s, { typ: 'at+jwt' }))}.${base.split('.')[1]}.${signature}` });
    }
    // ES256 signatures in every wrong shape: DER (what OpenSSL makes), R or S zero, 63 and 65 bytes, high S.
    const input = `${b64(headerOf(es))}.${b64(JSON.stringify(goodClaims()))}`;
    const p1363 = signInput('ES256', es.key, input);
    const raw = Buffer.from(p1363, 'base64url');
    const esCase = (label: string, signature: string): Case => ({ label: `es256 ${label}`, token: `${input}.${signature}` });
    cases.push(
      esCase('DER', signInput('ES256', es.key, input, true)),
      esCase('R zero', Buffer.concat([Buffer.alloc(32), raw.subarray(32)]).toString('base64url')),
      esCase('S zero', Buffer.concat([raw.subarray(0, 32), Buffer.alloc(32)]).toString('base64url')),
      esCase('R zero, S high bit', Buffer.concat([Buffer.alloc(32), Buffer.alloc(32, 0x80)]).toString('base64url')),
      esCase('all zero', Buffer.alloc(64).toString('base64url')),
      esCase('all ones', Buffer.alloc(64, 0xff).toString('base64url')),
      esCase('63 bytes', raw.subarray(1).toString('base64url')),
      esCase('65 bytes', Buffer.concat([Buffer.alloc(1), raw]).toString('base64url')),
      esCase('high S', highS(p1363)),
      esCase('an RSA signature', signInput('RS256', rs.key, input)),
    );
    const rsInput = `${b64(headerOf(rs))}.${b64(JSON.stringify(goodClaims()))}`;
    const rsSig = Buffer.from(signInput('RS256', rs.key, rsInput), 'base64url');
    cases.push(
      { label: 'rs256 leading zero byte added', token: `${rsInput}.${Buffer.concat([Buffer.alloc(1), rsSig]).toString('base64url')}` },
      { label: 'rs256 an ES256 signature', token: `${rsInput}.${signInput('ES256', es.key, rsInput)}` },
      { label: 'rs256 all ones', token: `${rsInput}.${Buffer.alloc(256, 0xff).toString('base64url')}` },
    );
    expect(disagreements(cases)).toEqual([]);
  });

  it('alg none and algorithm confusion', () => {
    const claims = JSON.stringify(goodClaims({ rights: ['all'] }));
    const cases: Case[] = [];
    for (const header of [{ alg: 'none' }, { alg: 'none', kid: 'rs256' }, { alg: 'None' }, { alg: 'NONE', typ: 'JWT' }, { alg: '' }]) {
      const input = `${b64(JSON.stringify(header))}.${b64(claims)}`;
      cases.push({ label: `${JSON.stringify(header)} unsigned`, token: `${input}.` });
      cases.push({ label: `${JSON.stringify(header)} with a signature`, token: `${input}.${signInput('HS256', hs.key, input)}` });
    }
    // HS256 with the public key's PEM (or its DER bytes) as the HMAC secret.
    for (const victim of [rs, es]) {
      const pem = victim.pem ?? '';
      const der = victim.verification.key.export({ type: 'spki', format: 'der' });
      for (const kid of [victim.kid, undefined, 'hs256', 'nope']) {
        for (const [secretLabel, secret] of [['PEM', pem], ['DER', der]] as const) {
          const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', ...(kid !== undefined ? { kid } : {}) }))}.${b64(claims)}`;
          const sig = createHmac('sha256', secret).update(input).digest('base64url');
          cases.push({ label: `HS256 over ${victim.kid}'s ${secretLabel}, kid ${String(kid)}`, token: `${input}.${sig}` });
          cases.push({ label: `… with only ${victim.kid} in the keyring`, token: `${input}.${sig}`, keyring: { keys: [victim.verification] } });
        }
      }
    }
    // A header claiming the other asymmetric algorithm over a real signature.
    for (const [claimed, signer] of [['ES256', rs], ['RS256', es], ['HS256', rs], ['RS256', hs]] as const) {
      const input = `${b64(JSON.stringify({ alg: claimed }))}.${b64(claims)}`;
      cases.push({ label: `${claimed} header signed by ${signer.kid}`, token: `${input}.${signInput(signer.alg, signer.key, input)}` });
    }
    expect(disagreements(cases)).toEqual([]);
  });

  it('structure: parts, characters, sizes, non-strings', () => {
    const good = token(es);
    const [h = '', p = '', s = ''] = good.split('.');
    const inputs: unknown[] = [
      '', '.', '..', '...', 'a', 'a.b', 'a.b.c', 'a.b.c.d', `${h}.${p}`, `${h}.${p}.${s}.`, `${h}.${p}.${s}.${s}`,
      `.${p}.${s}`, `${h}..${s}`, `${h}=.${p}.${s}`, `${h}.${p}=.${s}`, `${h.slice(0, 4)}+${h.slice(4)}.${p}.${s}`,
      ` ${good}`, `${good} `, `${good}\n`, `${h}.${p}é.${s}`, `${h}.${p}.${s}é`, good.replace(/\./g, '..'),
      42, null, undefined, { token: good }, [good], Buffer.from(good),
    ];
    const cases: Case[] = inputs.map((t, i) => ({ label: `structure #${i}`, token: t }));
    // The size cap: exactly at it, one over, and counted in UTF-8 bytes.
    cases.push({ label: 'at the cap', token: good, opts: { ...OPTS, maxTokenBytes: good.length } });
    cases.push({ label: 'one over the cap', token: good, opts: { ...OPTS, maxTokenBytes: good.length - 1 } });
    cases.push({ label: 'UTF-8 over the cap', token: `${good}é`, opts: { ...OPTS, maxTokenBytes: good.length + 1 } });
    cases.push({ label: 'huge', token: `${h}.${'A'.repeat(100_000)}.${s}` });
    expect(disagreements(cases)).toEqual([]);
  });

  it('keyrings: empty, one algorithm, keys that do not fit their algorithm', () => {
    const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey;
    const misfit = (kid: string, alg: VerificationKey['alg'], key: KeyObject): VerificationKey => ({ kid, alg, key });
    const rings: Array<readonly [string, Keyring]> = [
      ['empty', { keys: [] }],
      ['RS256 only', { keys: [rs.verification, rsB.verification] }],
      ['a secret as RS256', { keys: [misfit('rs256', 'RS256', hs.key)] }],
      ['an EC key as RS256', { keys: [misfit('rs256', 'RS256', es.verification.key)] }],
      ['an RSA-PSS key as RS256', { keys: [misfit('rs256', 'RS256', pss)] }],
      ['a private RSA key as RS256', { keys: [misfit('rs256', 'RS256', rs.key)] }],
      ['an RSA key as ES256', { keys: [misfit('es256', 'ES256', rs.verification.key)] }],
      ['a P-384 key as ES256', { keys: [misfit('es256', 'ES256', ec384)] }],
      ['an Ed25519 key as ES256', { keys: [misfit('es256', 'ES256', ed)] }],
      ['an RSA key as HS256', { keys: [misfit('hs256', 'HS256', rs.verification.key)] }],
      ['a misfit before the right key', { keys: [misfit('x', 'RS256', es.verification.key), rs.verification] }],
      ['the right key before a misfit', { keys: [rs.verification, misfit('x', 'RS256', es.verification.key)] }],
      ['two keys with one kid', { keys: [rsB.verification, { ...rs.verification, kid: 'rs-b' }] }],
    ];
    const tokens = [rs, es, hs].flatMap((s) => [token(s), token(s, {}, { kid: undefined }), token(s, { exp: NOW - 1 }, { kid: 'x' })]);
    tokens.push(token(rsB));
    const cases = rings.flatMap(([label, ring]) => tokens.map((t, i) => ({ label: `${label} #${i}`, token: t, keyring: ring })));
    expect(disagreements(cases)).toEqual([]);
  });

  it('options: another issuer or audience, the clock at the boundaries, the real clock', () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Case[] = [];
    for (const s of [rs, es, hs]) {
      const t = token(s, { exp: NOW + 10, nbf: NOW - 10 });
      for (const opts of [
        { ...OPTS, issuer: 'corp' },
        { ...OPTS, audience: 'corp' },
        { ...OPTS, nowSeconds: NOW + 9 },
        { ...OPTS, nowSeconds: NOW + 10 },
        { ...OPTS, nowSeconds: NOW - 10 },
        { ...OPTS, nowSeconds: NOW - 11 },
        { ...OPTS, nowSeconds: NOW + 9.5 },
      ]) {
        cases.push({ label: `${s.kid} ${JSON.stringify(opts)}`, token: t, opts });
      }
      const real = { issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: 8192 };
      cases.push({ label: `${s.kid} real clock, live`, token: token(s, { exp: now + 600 }), opts: real });
      cases.push({ label: `${s.kid} real clock, expired`, token: token(s, { exp: now - 600 }), opts: real });
      cases.push({ label: `${s.kid} real clock, not yet`, token: token(s, { nbf: now + 600 }), opts: real });
    }
    expect(disagreements(cases)).toEqual([]);
  });

  it('random tokens: damaged text, hostile claims re-signed, parts swapped (seeded)', () => {
    const rng = new Rng(20240611);
    const cases: Case[] = [];
    const bases = signers.map((s) => token(s));
    for (let i = 0; i < 1500; i++) {
      const s = rng.pick(signers);
      const kind = rng.int(4);
      if (kind === 0) {
        cases.push({ label: `damaged #${i}`, token: damage(rng, rng.pick(bases)) });
      } else if (kind === 1) {
        cases.push({ label: `claims #${i}`, token: rawToken(s, headerOf(s), JSON.stringify(randomClaims(rng))) });
      } else if (kind === 2) {
        const parts = [0, 1, 2].map((n) => rng.pick(bases).split('.')[n]);
        cases.push({ label: `swapped #${i}`, token: parts.join('.') });
      } else {
        const kid = rng.pick([s.kid, 'rs256', 'es-b', 'hs256', 'nope', '']);
        const header = headerOf(s, { kid: kid === '' ? undefined : kid, typ: rng.chance(0.5) ? 'JWT' : undefined });
        cases.push({ label: `header #${i}`, token: rawToken(s, header, JSON.stringify(randomClaims(rng))) });
      }
    }
    expect(disagreements(cases)).toEqual([]);
  });

  it('covered every outcome (the corpus is not vacuous)', () => {
    for (const detail of [
      'accepted',
      'token too large',
      'malformed token',
      'unsupported algorithm',
      'bad signature',
      'token expired',
      'token not yet valid',
      'wrong issuer',
      'wrong audience',
      'missing sub',
      'invalid sub',
      'invalid jti',
    ]) {
      expect(seen.get(detail) ?? 0, detail).toBeGreaterThan(0);
    }
    expect(seen.get('accepted')).toBeGreaterThan(200);
  });
});
