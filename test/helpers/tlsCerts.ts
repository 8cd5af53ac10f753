// Certificates made by `openssl` for the TLS suites: a CA, a server certificate for localhost and
// 127.0.0.1, client certificates signed by that CA, and one CA nobody trusts. Made once per test
// file, in a temp directory removed when the worker exits (helpers/keys.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './keys.js';

export interface Pem {
  /** Paths, for the server's flags. */
  certFile: string;
  keyFile: string;
  /** Contents, for clients. */
  cert: Buffer;
  key: Buffer;
}

export interface TestCerts {
  dir: string;
  /** The CA every certificate below but `stranger` is signed by. */
  ca: Pem;
  server: Pem;
  /** A client certificate of this CA with subject CN `cn`; made once per CN. */
  client(cn: string): Pem;
  /** A client certificate for CN `agent1` signed by another CA, one the server does not trust. */
  stranger: Pem;
}

let made: TestCerts | undefined;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An EC P-256 key and self-signed CA certificate named `name`. */
function makeCa(dir: string, name: string): Pem {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
  return read(dir, name);
}

/** A key and a certificate with `subject`, signed by `ca`, with the extensions of `ext`. */
function makeSigned(dir: string, ca: Pem, file: string, subject: string, ext: string): Pem {
  writeFileSync(join(dir, `${file}.ext`), ext);
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', subject, '-keyout', `${file}.key`, '-out', `${file}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${file}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial',
    '-days', '2', '-extfile', `${file}.ext`, '-out', `${file}.pem`]);
  return read(dir, file);
}

function read(dir: string, name: string): Pem {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n';

export function testCerts(): TestCerts {
  if (made) return made;
  const dir = tempDir();
  const ca = makeCa(dir, 'ca');
  const server = makeSigned(dir, ca, 'server', '/CN=localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const other = makeCa(dir, 'other-ca');
  const stranger = makeSigned(dir, other, 'stranger', '/CN=agent1', CLIENT_EXT);
  const clients = new Map<string, Pem>();
  const client = (cn: string): Pem => {
    let pem = clients.get(cn);
    if (pem === undefined) {
      pem = makeSigned(dir, ca, `client-${clients.size}`, `/CN=${cn}`, CLIENT_EXT);
      clients.set(cn, pem);
    }
    return pem;
  };
  made = { dir, ca, server, client, stranger };
  return made;
}
