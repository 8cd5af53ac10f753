import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importKey, type KeyMaterialKind, type SigningKey, type VerificationKey } from '../core/auth/keys.js';
import type { KeyAlgorithm } from '../protocol/tokens.js';

/**
 * The `--keys` directory. The kid of a key is its file stem:
 * - `<kid>.pub`    SPKI public PEM (RS256 or ES256, from the key type): verifies;
 * - `<kid>.key`    PKCS8 private PEM: signs, and verifies too when no `<kid>.pub` sits beside it;
 * - `<kid>.secret` HS256 secret: signs and verifies. The secret is the file's text with
 *   surrounding whitespace trimmed, used as UTF-8 bytes, so other JWT tools given the same string
 *   produce tokens we accept. keygen writes 64 random bytes as 128 hex characters.
 * Every other file (README.md, .gitignore) is ignored.
 */

export interface LoadedKeys {
  readonly verification: VerificationKey[];
  readonly signing: SigningKey[];
  /** The key files read, sorted: for the startup log line. */
  readonly files: string[];
}

const PRIVATE_MODE = 0o600;
const PUBLIC_MODE = 0o644;
const HS256_SECRET_BYTES = 64;

interface KeyFile {
  readonly name: string;
  readonly contents: string;
  readonly mode: number;
}

/** The files keygen writes, private first; the kid (file stem) is the lower-case algorithm. */
const KEYGEN_FILES = {
  RS256: ['rs256.key', 'rs256.pub'],
  ES256: ['es256.key', 'es256.pub'],
  // One file only: for HMAC the secret is both the signing and the verification key.
  HS256: ['hs256.secret'],
} as const satisfies Record<KeyAlgorithm, readonly string[]>;

const PEM_ENCODING = {
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
} as const;

/** Fresh key material for `alg`, in the order of KEYGEN_FILES. */
function generateFiles(alg: KeyAlgorithm): KeyFile[] {
  if (alg === 'HS256') {
    const [secretName] = KEYGEN_FILES[alg];
    const secret = `${randomBytes(HS256_SECRET_BYTES).toString('hex')}\n`;
    return [{ name: secretName, contents: secret, mode: PRIVATE_MODE }];
  }
  const [privateName, publicName] = KEYGEN_FILES[alg];
  const { publicKeyEncoding, privateKeyEncoding } = PEM_ENCODING;
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding, privateKeyEncoding });
  return [
    { name: privateName, contents: pair.privateKey, mode: PRIVATE_MODE },
    { name: publicName, contents: pair.publicKey, mode: PUBLIC_MODE },
  ];
}

/**
 * keygen: writes a new key of `alg` into `dir` (created if missing) and returns the paths written.
 * An existing file is never overwritten: replacing a key would invalidate every token signed
 * with it.
 */
export function generateKeys(dir: string, alg: KeyAlgorithm): string[] {
  for (const name of KEYGEN_FILES[alg]) {
    const path = join(dir, name);
    if (exists(path)) throw new Error(`Refusing to overwrite the existing key file ${path}.`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const file of generateFiles(alg)) {
    const path = join(dir, file.name);
    // 'wx' fails if the file appeared meanwhile; the mode applies from creation, so a private key
    // is never readable by others, and chmod then sets it exactly whatever the umask.
    writeFileSync(path, file.contents, { mode: file.mode, flag: 'wx' });
    chmodSync(path, file.mode);
    written.push(path);
  }
  return written;
}

/** Reads every key file in `dir`. Any unusable key file fails the whole load. */
export function loadKeyDir(dir: string): LoadedKeys {
  let names: string[];
  try {
    // By name, not Dirent type: mounted secrets (Kubernetes, Docker) are often symlinks.
    names = readdirSync(dir).filter((name) => kindOf(name) !== null).sort();
  } catch (cause) {
    throw new Error(`Cannot read the key directory ${dir}.`, { cause });
  }

  const publicKeys = new Map<string, VerificationKey>();
  const derived = new Map<string, VerificationKey>();
  const signing: SigningKey[] = [];
  const seen = new Map<string, string>();
  const files: string[] = [];
  for (const name of names) {
    const kind = kindOf(name);
    if (kind === null) continue;
    const kid = name.slice(0, name.lastIndexOf('.'));
    const path = join(dir, name);
    const imported = importFile(path, kid, kind);
    if (imported === null) continue;
    const previous = seen.get(kid);
    // `<kid>.key` + `<kid>.pub` is a pair; any other two files with one stem would give one kid
    // two keys, and a token naming it could not say which.
    if (previous !== undefined && !isPair(previous, name)) {
      throw new Error(`The key files ${join(dir, previous)} and ${path} share the kid "${kid}"; rename one.`);
    }
    seen.set(kid, name);
    files.push(path);
    if (kind === 'public') publicKeys.set(kid, imported.verification);
    else derived.set(kid, imported.verification);
    if (imported.signing) signing.push(imported.signing);
  }

  const verification: VerificationKey[] = [];
  for (const kid of seen.keys()) {
    const pub = publicKeys.get(kid);
    const own = derived.get(kid);
    if (pub && own && !pub.key.equals(own.key)) {
      throw new Error(`The key files ${join(dir, `${kid}.key`)} and ${join(dir, `${kid}.pub`)} are not one key pair.`);
    }
    const key = pub ?? own;
    if (key) verification.push(key);
  }
  return { verification, signing, files };
}

/**
 * serve: make sure there is something to verify tokens with. With no verification key in `dir`,
 * an RS256 pair is generated (created: true, files: the paths written); otherwise nothing is
 * written (created: false, files: the key files found). Calling it twice creates keys once.
 */
export function ensureDevKeys(dir: string): { created: boolean; files: string[] } {
  if (exists(dir)) {
    const found = loadKeyDir(dir);
    if (found.verification.length > 0) return { created: false, files: found.files };
  }
  return { created: true, files: generateKeys(dir, 'RS256') };
}

/**
 * The key `pubkeeper token` signs with: the only signing key, or the only one of `alg`.
 * None or several throw one exact sentence (the CLI exits 2).
 */
export function pickSigningKey(keys: readonly SigningKey[], alg?: KeyAlgorithm): SigningKey {
  const matching = alg === undefined ? keys : keys.filter((k) => k.alg === alg);
  const [only] = matching;
  if (only !== undefined && matching.length === 1) return only;
  if (matching.length === 0) {
    throw new Error(
      alg === undefined
        ? 'No signing key found; run "pubkeeper keygen" first.'
        : `No ${alg} signing key found; run "pubkeeper keygen --alg ${alg}" first.`,
    );
  }
  const kids = matching.map((k) => k.kid).join(', ');
  throw new Error(
    alg === undefined
      ? `Several signing keys found (${kids}); pass --alg to choose one.`
      : `Several ${alg} signing keys found (${kids}); keep only one.`,
  );
}

function kindOf(name: string): KeyMaterialKind | null {
  if (name.startsWith('.')) return null;
  if (name.endsWith('.pub')) return 'public';
  if (name.endsWith('.key')) return 'private';
  if (name.endsWith('.secret')) return 'secret';
  return null;
}

function isPair(a: string, b: string): boolean {
  const kinds = new Set([kindOf(a), kindOf(b)]);
  return kinds.has('public') && kinds.has('private');
}

function importFile(path: string, kid: string, kind: KeyMaterialKind): ReturnType<typeof importKey> | null {
  let contents: Buffer;
  try {
    if (statSync(path).isDirectory()) return null;
    contents = readFileSync(path);
  } catch (cause) {
    throw new Error(`Cannot read the key file ${path}.`, { cause });
  }
  try {
    return importKey(kid, kind === 'secret' ? trimmed(contents) : contents, kind);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`Cannot load the key file ${path}: ${reason}`, { cause });
  }
}

/** Text editors add a trailing newline; it is not part of the secret. */
function trimmed(contents: Buffer): Buffer {
  return Buffer.from(contents.toString('utf8').trim(), 'utf8');
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
