import type { IncomingMessage } from 'node:http';
import { refusalReason, type AuthRefusalReason } from '../core/auth/refusal.js';
import type { Identity } from '../core/auth/verifyToken.js';
import type { Hub } from '../core/hub.js';
import { PCP_V1, PCP_V2, type PcpDialect } from '../core/dialects/pcp/pcpDialect.js';
import { CLIENT_TYPE_PATTERN, formatPcpUri } from '../protocol/pcpUri.js';
import { bearerToken, type UpgradeRefusalReason } from './edge/upgrade.js';

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
 * path and type (400), token (401), the reserved type `server` (403). [PCP-CONN-1] [PCP-CONN-2]
 */
export function checkPcpUpgrade(req: IncomingMessage, hub: Hub): PcpUpgrade {
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
  const token = bearerToken(req);
  if (token === undefined) {
    return { ok: false, status: 401, text: 'Unauthorized', reason: 'missing token', label: 'unauthorized', auth: { reason: 'missing' } };
  }
  const verified = hub.verify(token, 'pcp');
  if (!verified.ok) {
    const reason = verified.error.detail ?? 'refused';
    return { ok: false, status: 401, text: 'Unauthorized', reason, label: 'unauthorized', auth: { reason: refusalReason(verified.error.detail) } };
  }
  if (type === 'server') {
    const auth = { reason: 'forbidden' as const, sub: verified.value.sub };
    return { ok: false, status: 403, text: 'Forbidden', reason: 'client type server is reserved', label: 'forbidden', auth };
  }
  return { ok: true, dialect, uri: formatPcpUri(verified.value.sub, type), identity: verified.value };
}
