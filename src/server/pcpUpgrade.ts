import type { IncomingMessage } from 'node:http';
import { refusalReason, type AuthRefusalReason } from '../core/auth/refusal.js';
import type { Identity } from '../core/auth/verifyToken.js';
import type { Hub } from '../core/hub.js';
import { PCP_V1, PCP_V2, type PcpDialect } from '../core/dialects/pcp/pcpDialect.js';
import { CLIENT_TYPE_PATTERN, formatPcpUri } from '../protocol/pcpUri.js';
import { bearerToken, type UpgradeRefusalReason } from './edge/upgrade.js';
import type { CertRights } from './tls/certRights.js';
import { certificateIdentity } from './tls/certIdentity.js';

const PCP_PATH = /^\/pcp\/(v1\.0|v2\.0)\/([^/]*)$/;

/**
 * A refused PCP upgrade: the HTTP answer, the reason in words (its body), the metric label, and,
 * when the token is at fault (401) or lacks the right (403), the refusal to report with its subject
 * when known.
 */
export interface PcpRefusal {
  ok: false;
  status: number;
  text: string;
  reason: string;
  label: UpgradeRefusalReason;
  auth?: { reason: AuthRefusalReason; sub?: string };
}

export type PcpUpgrade = { ok: true; dialect: PcpDialect; uri: string; identity: Identity } | PcpRefusal;

export function isPcpPath(path: string): boolean {
  return path.startsWith('/pcp/');
}

const BAD_TYPE: PcpRefusal = { ok: false, status: 400, text: 'Bad Request', reason: 'client type is not valid', label: 'bad_type' };

/**
 * Everything about a PCP connection is settled before the WebSocket exists (CONTRACT §5):
 * path and type (400), token or client certificate (401), the reserved type `server` (403).
 * [PCP-CONN-1] [PCP-CONN-2] `certRights` is given when client certificates are on (`--tls-ca`).
 */
export function checkPcpUpgrade(req: IncomingMessage, hub: Hub, certRights?: CertRights): PcpUpgrade {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = PCP_PATH.exec(url.pathname);
  if (!match) return { ok: false, status: 404, text: 'Not Found', reason: 'unknown PCP path', label: 'not_found' };
  const dialect = match[1] === 'v1.0' ? PCP_V1 : PCP_V2;
  let type: string;
  try {
    type = decodeURIComponent(match[2] ?? '');
  } catch {
    return BAD_TYPE;
  }
  if (!CLIENT_TYPE_PATTERN.test(type)) return BAD_TYPE;
  const identity = authenticate(req, hub, certRights);
  if (!identity.ok) return { ok: false, status: 401, text: 'Unauthorized', reason: identity.reason, label: 'unauthorized', auth: { reason: identity.label } };
  if (type === 'server') {
    const auth = { reason: 'forbidden' as const, sub: identity.value.sub };
    return { ok: false, status: 403, text: 'Forbidden', reason: 'client type server is reserved', label: 'forbidden', auth };
  }
  return { ok: true, dialect, uri: formatPcpUri(identity.value.sub, type), identity: identity.value };
}

type Authenticated = { ok: true; value: Identity } | { ok: false; reason: string; label: AuthRefusalReason };

/**
 * Who the client is: its token when it gave one, which wins over any certificate (a token is
 * the more specific credential, and may be a refresh of rights); else, with client certificates
 * on, the CN of a certificate that verified against `--tls-ca` [TLS-CERT-1] [TLS-CERT-2].
 */
function authenticate(req: IncomingMessage, hub: Hub, certRights: CertRights | undefined): Authenticated {
  const token = bearerToken(req);
  if (token !== undefined) {
    const verified = hub.verify(token, 'pcp');
    return verified.ok ? verified : { ok: false, reason: verified.error.detail ?? 'refused', label: refusalReason(verified.error.detail) };
  }
  if (certRights === undefined) return { ok: false, reason: 'missing token', label: 'missing' };
  const cert = certificateIdentity(req.socket, certRights);
  if (cert.kind === 'none') return { ok: false, reason: 'missing token or client certificate', label: 'missing' };
  if (cert.kind === 'refused') return { ok: false, reason: cert.reason, label: 'bad_certificate' };
  // `revoke --sub CN` refuses the certificate's CN as it refuses that sub's tokens.
  if (hub.revocations.refuses(cert.identity)) return { ok: false, reason: 'client certificate CN revoked', label: 'revoked' };
  return { ok: true, value: cert.identity };
}
