import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../../config/load.js';
import { flagName, type Config, type ConfigKey } from '../../config/schema.js';
import { CertRights } from './certRights.js';

/** What a TLS listener of ours is created with (node:https options). */
export interface TlsListenerOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** With client certificates: the CAs a client certificate must chain to. */
  readonly ca?: Buffer;
  /**
   * Client certificates are asked for, never required: a client without one (or with one that
   * does not verify) still completes the handshake and may authenticate with a token; the PCP
   * upgrade decides (protocol/tls.md).
   */
  readonly requestCert: boolean;
  readonly rejectUnauthorized: false;
}

export interface TlsSettings {
  /** The main port: every surface of CONTRACT §1. */
  readonly main: TlsListenerOptions;
  /** The relay's port: the same certificate; it asks for no client certificate (tokens only). */
  readonly relay: TlsListenerOptions;
  /** Rights of certificate clients by CN; undefined when client certificates are off (no --tls-ca). */
  readonly certRights: CertRights | undefined;
}

const flag = (key: ConfigKey): string => `--${flagName(key)}`;

/**
 * Reads and checks the TLS files of the config (`--tls-cert`, `--tls-key`, `--tls-ca`,
 * `--cert-rights`), once, at startup: undefined when TLS is off. Every problem is a ConfigError of
 * one line naming the flag at fault, so a server never starts half secure.
 */
export function loadTls(config: Config): TlsSettings | undefined {
  const { tlsCert, tlsKey, tlsCa, certRights } = config;
  if (tlsCert === undefined && tlsKey !== undefined) throw new ConfigError(`${flag('tlsKey')} needs ${flag('tlsCert')}: give the certificate of that key too`);
  if (tlsCert !== undefined && tlsKey === undefined) throw new ConfigError(`${flag('tlsCert')} needs ${flag('tlsKey')}: give the private key of that certificate too`);
  if (tlsCa !== undefined && tlsCert === undefined) {
    throw new ConfigError(`${flag('tlsCa')} needs ${flag('tlsCert')} and ${flag('tlsKey')}: client certificates exist only over TLS`);
  }
  if (certRights !== undefined && tlsCa === undefined) {
    throw new ConfigError(`${flag('certRights')} needs ${flag('tlsCa')}: without a CA no client certificate is asked for`);
  }
  if (tlsCert === undefined || tlsKey === undefined) return undefined;

  const cert = readPem('tlsCert', tlsCert, 'a PEM certificate', (pem) => new X509Certificate(pem));
  const key = readPem('tlsKey', tlsKey, 'an unencrypted PEM private key', (pem) => createPrivateKey(pem));
  try {
    createSecureContext({ cert, key });
  } catch {
    throw new ConfigError(`${flag('tlsKey')} ${tlsKey} is not the private key of ${flag('tlsCert')} ${tlsCert}`);
  }
  const relay: TlsListenerOptions = { cert, key, requestCert: false, rejectUnauthorized: false };
  if (tlsCa === undefined) return { main: relay, relay, certRights: undefined };

  const ca = readPem('tlsCa', tlsCa, 'PEM CA certificates', (pem) => {
    createSecureContext({ ca: pem });
    return new X509Certificate(pem);
  });
  return {
    main: { cert, key, ca, requestCert: true, rejectUnauthorized: false },
    relay,
    certRights: certRights === undefined ? CertRights.NONE : readCertRights(certRights),
  };
}

/** The file's bytes, once `check` (which throws on a bad one) accepted them. */
function readPem(key: ConfigKey, path: string, what: string, check: (pem: Buffer) => unknown): Buffer {
  const pem = readSetting(key, path);
  try {
    check(pem);
  } catch {
    throw new ConfigError(`${flag(key)} ${path} does not hold ${what}`);
  }
  return pem;
}

function readCertRights(path: string): CertRights {
  let value: unknown;
  try {
    value = JSON.parse(readSetting('certRights', path).toString('utf8'));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${flag('certRights')} ${path} is not valid JSON`);
  }
  try {
    return CertRights.parse(value);
  } catch (err) {
    throw new ConfigError(`${flag('certRights')} ${path}: ${(err as Error).message}`);
  }
}

function readSetting(key: ConfigKey, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${flag(key)} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
