import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importKey, type SigningKey } from '../../../src/core/auth/keys.js';
import { ensureDevKeys, generateKeys, loadKeyDir, pickSigningKey } from '../../../src/server/keyFiles.js';
import { tempDir } from './fixtures.js';

const root = tempDir('pubkeeper-keyfiles-');
const mode = (path: string): number => statSync(path).mode & 0o777;
let n = 0;
const freshDir = (): string => join(root, `d${n++}`);

describe('generateKeys', () => {
  // One RSA pair for the whole file (slow); ES and HS keys are cheap and made per test.
  const rsDir = freshDir();
  let rsFiles: string[];
  beforeAll(() => {
    rsFiles = generateKeys(rsDir, 'RS256');
  });

  it('RS256: rs256.key (0600, PKCS8) and rs256.pub (0644, SPKI), creating the directory', () => {
    expect(rsFiles).toEqual([join(rsDir, 'rs256.key'), join(rsDir, 'rs256.pub')]);
    expect(mode(join(rsDir, 'rs256.key'))).toBe(0o600);
    expect(mode(join(rsDir, 'rs256.pub'))).toBe(0o644);
    expect(readFileSync(join(rsDir, 'rs256.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(join(rsDir, 'rs256.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('ES256: es256.key (0600) and es256.pub (0644) on P-256', () => {
    const dir = freshDir();
    expect(generateKeys(dir, 'ES256')).toEqual([join(dir, 'es256.key'), join(dir, 'es256.pub')]);
    expect(mode(join(dir, 'es256.key'))).toBe(0o600);
    expect(mode(join(dir, 'es256.pub'))).toBe(0o644);
    const loaded = loadKeyDir(dir);
    expect(loaded.verification.map((k) => [k.kid, k.alg])).toEqual([['es256', 'ES256']]);
  });

  it('HS256: one hs256.secret file (0600) of 64 random bytes in hex', () => {
    const dir = freshDir();
    expect(generateKeys(dir, 'HS256')).toEqual([join(dir, 'hs256.secret')]);
    expect(mode(join(dir, 'hs256.secret'))).toBe(0o600);
    expect(readFileSync(join(dir, 'hs256.secret'), 'utf8')).toMatch(/^[0-9a-f]{128}\n$/);
    expect(readdirSync(dir)).toEqual(['hs256.secret']);
  });

  it('refuses to overwrite an existing key file, writing nothing', () => {
    const before = readFileSync(join(rsDir, 'rs256.key'), 'utf8');
    expect(() => generateKeys(rsDir, 'RS256')).toThrow(
      new Error(`Refusing to overwrite the existing key file ${join(rsDir, 'rs256.key')}.`),
    );
    expect(readFileSync(join(rsDir, 'rs256.key'), 'utf8')).toBe(before);
  });

  it('refuses when only the public half exists', () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'es256.pub'), 'placeholder');
    expect(() => generateKeys(dir, 'ES256')).toThrow(
      new Error(`Refusing to overwrite the existing key file ${join(dir, 'es256.pub')}.`),
    );
    expect(readdirSync(dir)).toEqual(['es256.pub']);
  });

  it('adds another algorithm beside existing keys', () => {
    generateKeys(rsDir, 'HS256');
    const loaded = loadKeyDir(rsDir);
    expect(loaded.verification.map((k) => k.alg).sort()).toEqual(['HS256', 'RS256']);
  });
});

describe('loadKeyDir', () => {
  it('reads .pub, .key and .secret, ignoring README.md, .gitignore and others', () => {
    const dir = freshDir();
    generateKeys(dir, 'ES256');
    generateKeys(dir, 'HS256');
    writeFileSync(join(dir, 'README.md'), '# keys\n');
    writeFileSync(join(dir, '.gitignore'), '*\n');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    mkdirSync(join(dir, 'old.key'));
    const loaded = loadKeyDir(dir);
    expect(loaded.files).toEqual([join(dir, 'es256.key'), join(dir, 'es256.pub'), join(dir, 'hs256.secret')]);
    expect(loaded.verification.map((k) => `${k.kid}/${k.alg}/${k.key.type}`)).toEqual([
      'es256/ES256/public',
      'hs256/HS256/secret',
    ]);
    expect(loaded.signing.map((k) => `${k.kid}/${k.alg}/${k.key.type}`)).toEqual([
      'es256/ES256/private',
      'hs256/HS256/secret',
    ]);
  });

  it('derives the verification key of a .key without a .pub', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'solo.key'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const loaded = loadKeyDir(dir);
    expect(loaded.verification).toHaveLength(1);
    expect(loaded.verification[0]?.kid).toBe('solo');
    expect(loaded.verification[0]?.key.equals(pair.publicKey)).toBe(true);
  });

  it('loads a .pub alone as a verification key only', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'partner.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const loaded = loadKeyDir(dir);
    expect(loaded.verification.map((k) => k.kid)).toEqual(['partner']);
    expect(loaded.signing).toEqual([]);
  });

  it('uses the secret text trimmed of its trailing newline', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const secret = 's'.repeat(40);
    writeFileSync(join(dir, 'ops.secret'), `${secret}\n`);
    const [key] = loadKeyDir(dir).verification;
    expect(key?.key.export().toString('utf8')).toBe(secret);
  });

  it('refuses an HS secret shorter than 32 bytes', () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'short.secret'), 'tooshort\n');
    expect(() => loadKeyDir(dir)).toThrow(
      new Error(
        `Cannot load the key file ${join(dir, 'short.secret')}: Key "short": an HS256 secret must be at least 32 bytes long, got 8.`,
      ),
    );
  });

  it('refuses an EC key on a curve other than P-256', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const pair = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    writeFileSync(join(dir, 'k1.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => loadKeyDir(dir)).toThrow(
      new Error(
        `Cannot load the key file ${join(dir, 'k1.pub')}: Key "k1" uses EC curve secp256k1, but ES256 needs P-256 (prime256v1).`,
      ),
    );
  });

  it('refuses a .key and .pub of one kid that are not one pair', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'mix.key'), a.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'mix.pub'), b.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => loadKeyDir(dir)).toThrow(
      new Error(`The key files ${join(dir, 'mix.key')} and ${join(dir, 'mix.pub')} are not one key pair.`),
    );
  });

  it('refuses two key files that give one kid two keys', () => {
    const dir = freshDir();
    generateKeys(dir, 'ES256');
    writeFileSync(join(dir, 'es256.secret'), 'x'.repeat(40));
    expect(() => loadKeyDir(dir)).toThrow(
      new Error(`The key files ${join(dir, 'es256.pub')} and ${join(dir, 'es256.secret')} share the kid "es256"; rename one.`),
    );
  });

  it('refuses a missing directory with one sentence', () => {
    const dir = join(root, 'does-not-exist');
    expect(() => loadKeyDir(dir)).toThrow(new Error(`Cannot read the key directory ${dir}.`));
  });

  it('follows symlinked key files (mounted secrets)', () => {
    const source = freshDir();
    generateKeys(source, 'HS256');
    const dir = freshDir();
    mkdirSync(dir);
    symlinkSync(join(source, 'hs256.secret'), join(dir, 'mounted.secret'));
    const loaded = loadKeyDir(dir);
    expect(loaded.verification.map((k) => k.kid)).toEqual(['mounted']);
    expect(loaded.files).toEqual([join(dir, 'mounted.secret')]);
  });

  it('refuses a key file it cannot read (a dangling symlink) with one sentence', () => {
    const dir = freshDir();
    mkdirSync(dir);
    symlinkSync(join(dir, 'gone'), join(dir, 'lost.pub'));
    expect(() => loadKeyDir(dir)).toThrow(new Error(`Cannot read the key file ${join(dir, 'lost.pub')}.`));
  });
});

describe('ensureDevKeys', () => {
  it('creates an RS256 pair in a missing directory, then does nothing', () => {
    const dir = freshDir();
    const first = ensureDevKeys(dir);
    expect(first).toEqual({ created: true, files: [join(dir, 'rs256.key'), join(dir, 'rs256.pub')] });
    const key = readFileSync(join(dir, 'rs256.key'), 'utf8');
    const second = ensureDevKeys(dir);
    expect(second).toEqual({ created: false, files: [join(dir, 'rs256.key'), join(dir, 'rs256.pub')] });
    expect(readFileSync(join(dir, 'rs256.key'), 'utf8')).toBe(key);
  });

  it('leaves a directory alone that holds any verification key', () => {
    const dir = freshDir();
    generateKeys(dir, 'HS256');
    writeFileSync(join(dir, 'README.md'), '# keys\n');
    expect(ensureDevKeys(dir)).toEqual({ created: false, files: [join(dir, 'hs256.secret')] });
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'hs256.secret']);
  });
});

describe('pickSigningKey', () => {
  const ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const es = importKey('es256', ecPem, 'private').signing;
  const hs = importKey('hs256', 'h'.repeat(32), 'secret').signing;
  const hs2 = importKey('hs-b', 'b'.repeat(32), 'secret').signing;
  const keys = [es, hs, hs2].filter((k): k is SigningKey => k !== undefined);

  it('returns the only key', () => {
    expect(pickSigningKey([keys[0] as SigningKey])).toBe(keys[0]);
  });

  it('returns the only key of the given algorithm', () => {
    expect(pickSigningKey(keys, 'ES256').kid).toBe('es256');
  });

  it('refuses ambiguity with one sentence', () => {
    expect(() => pickSigningKey(keys)).toThrow(
      new Error('Several signing keys found (es256, hs256, hs-b); pass --alg to choose one.'),
    );
    expect(() => pickSigningKey(keys, 'HS256')).toThrow(
      new Error('Several HS256 signing keys found (hs256, hs-b); keep only one.'),
    );
  });

  it('refuses when there is none', () => {
    expect(() => pickSigningKey([])).toThrow(new Error('No signing key found; run "pubkeeper keygen" first.'));
    expect(() => pickSigningKey(keys, 'RS256')).toThrow(
      new Error('No RS256 signing key found; run "pubkeeper keygen --alg RS256" first.'),
    );
  });
});
