import { X509Certificate } from 'node:crypto';
import type WebSocket from 'ws';

/**
 * TLS material for a `wss://` server: PEM text or bytes. Node's own CAs (and `NODE_EXTRA_CA_CERTS`)
 * are trusted without any of this.
 */
export interface ClientTlsOptions {
  /** CA certificates to trust for the server's certificate (a private CA). Replaces Node's list. */
  ca?: string | Buffer | (string | Buffer)[];
  /** A client certificate: on PCP it may stand in for a token (the URI is `pcp://<its CN>/<type>`). */
  cert?: string | Buffer;
  /** The private key of `cert`. */
  key?: string | Buffer;
}

/** `ws` options with the TLS material added (undefined fields left out, so ws's defaults hold). */
export function withTls(ws: WebSocket.ClientOptions | undefined, tls: ClientTlsOptions | undefined): WebSocket.ClientOptions {
  if (tls === undefined) return { ...ws };
  const out: WebSocket.ClientOptions = { ...ws };
  if (tls.ca !== undefined) out.ca = tls.ca;
  if (tls.cert !== undefined) out.cert = tls.cert;
  if (tls.key !== undefined) out.key = tls.key;
  return out;
}

/** The subject CN of a PEM certificate, or '' when it has none we can read. */
export function certificateCn(cert: string | Buffer): string {
  try {
    // `subject` is one `KEY=value` per line.
    const line = new X509Certificate(cert).subject.split('\n').find((l) => l.startsWith('CN='));
    return line === undefined ? '' : line.slice(3);
  } catch {
    return '';
  }
}
