import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Identity } from '../../core/auth/verifyToken.js';
import { SUBJECT_PATTERN } from '../../protocol/pcpUri.js';
import type { CertRights } from './certRights.js';

/** What the client certificate of a connection says: nothing (none presented), an identity, or why not. */
export type CertificateCheck = { kind: 'none' } | { kind: 'identity'; identity: Identity } | { kind: 'refused'; reason: string };

const NONE: CertificateCheck = { kind: 'none' };

/**
 * The identity a verified client certificate gives (CONTRACT §2 TLS, protocol/tls.md): `sub` is
 * the subject's CN, which must be a valid PCP name (the same rule as a token's `sub`), and the
 * rights are those `--cert-rights` grants that CN. It never expires by itself (the certificate's
 * validity was checked in the handshake; a live session is ended by kick or `revoke --sub`).
 */
export function certificateIdentity(socket: Socket, rights: CertRights): CertificateCheck {
  if (!(socket instanceof TLSSocket)) return NONE;
  const cert = socket.getPeerCertificate();
  // An empty object when the client sent no certificate.
  if (cert === null || Object.keys(cert).length === 0) return NONE;
  if (!socket.authorized) {
    return { kind: 'refused', reason: `client certificate not accepted (${String(socket.authorizationError ?? 'unverified')})` };
  }
  const cn: unknown = cert.subject?.CN;
  if (typeof cn !== 'string') return { kind: 'refused', reason: 'client certificate has no single subject CN' };
  if (!SUBJECT_PATTERN.test(cn)) return { kind: 'refused', reason: 'client certificate CN is not a valid PCP name ([A-Za-z0-9._@-], 1 to 128 characters)' };
  return { kind: 'identity', identity: certIdentity(cn, rights) };
}

function certIdentity(cn: string, rights: CertRights): Identity {
  // The shape of a token's identity (one hidden class for both). No token was given, so no token
  // is ever "the one it holds": a length of -1 matches none.
  return { sub: cn, exp: undefined, nbf: undefined, jti: undefined, grants: rights.grantsFor(cn), tokenLength: -1, tokenDigest: '' };
}
