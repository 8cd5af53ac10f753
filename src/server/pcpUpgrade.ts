import type { IncomingMessage } from 'node:http';
import type { Identity } from '../core/auth/verifyToken.js';
import type { Hub } from '../core/hub.js';
import { PCP_V1, PCP_V2, type PcpDialect } from '../core/dialects/pcp/pcpDialect.js';
import { CLIENT_TYPE_PATTERN, formatPcpUri } from '../protocol/pcpUri.js';
import { bearerToken } from './edge/upgrade.js';
import type { CertRights } from './tls/certRights.js';
import { certificateIdentity } from './tls/certIdentity.js';

const PCP_PATH = /^\/pcp\/(v1\.0|v2\.0)\/([^/]*)$/;

export type PcpUpgrade =
  | { ok: true; dialect: PcpDialect; uri: string; identity: Identity }
  | { ok: false; status: number; text: string; reason: string };

export function isPcpPath(path: string): boolean {
  return path.startsWith('/pcp/');
}

/**
 * Everything about a PCP connection is settled before the WebSocket exists (CONTRACT §5):
 * path and type (400), token or client certificate (401), the reserved type `server` (403).
 * [PCP-CONN-1] [PCP-CONN-2] `certRights` is given when client certificates are on (`--tls-ca`).
 */
export function checkPcpUpgrade(req: IncomingMessage, hub: Hub, certRights?: CertRights): PcpUpgrade {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = PCP_PATH.exec(url.pathname);
  if (!match) return { ok: false, status: 404, text: 'Not Found', reason: 'unknown PCP path' };
  const dialect = match[1] === 'v1.0' ? PCP_V1 : PCP_V2;
  let type: string;
  try {
    type = decodeURIComponent(match[2] ?? '');
  } catch {
    return { ok: false, status: 400, text: 'Bad Request', reason: 'client type is not valid' };
  }
  if (!CLIENT_TYPE_PATTERN.test(type)) {
    return { ok: false, status: 400, text: 'Bad Request', reason: 'client type is not valid' };
  }
  const identity = authenticate(req, hub, certRights);
  if (!identity.ok) return { ok: false, status: 401, text: 'Unauthorized', reason: identity.reason };
  if (type === 'server') return { ok: false, status: 403, text: 'Forbidden', reason: 'client type server is reserved' };
  return { ok: true, dialect, uri: formatPcpUri(identity.value.sub, type), identity: identity.value };
}

/**
 * Who the client is: its token when it gave one, which wins over any certificate (a token is
 * the more specific credential, and may be a refresh of rights); else, with client certificates
 * on, the CN of a certificate that verified against `--tls-ca` [TLS-CERT-1] [TLS-CERT-2].
 */
function authenticate(req: IncomingMessage, hub: Hub, certRights: CertRights | undefined): { ok: true; value: Identity } | { ok: false; reason: string } {
  const token = bearerToken(req);
  if (token !== undefined) {
    const verified = hub.verify(token);
    return verified.ok ? verified : { ok: false, reason: verified.error.detail ?? 'refused' };
  }
  if (certRights === undefined) return { ok: false, reason: 'missing token' };
  const cert = certificateIdentity(req.socket, certRights);
  if (cert.kind === 'none') return { ok: false, reason: 'missing token or client certificate' };
  if (cert.kind === 'refused') return { ok: false, reason: cert.reason };
  // `revoke --sub CN` refuses the certificate's CN as it refuses that sub's tokens.
  if (hub.revocations.refuses(cert.identity)) return { ok: false, reason: 'client certificate CN revoked' };
  return { ok: true, value: cert.identity };
}
