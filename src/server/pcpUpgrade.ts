import type { IncomingMessage } from 'node:http';
import type { Identity } from '../core/auth/verifyToken.js';
import type { Hub } from '../core/hub.js';
import { PCP_V1, PCP_V2, type PcpDialect } from '../core/dialects/pcp/pcpDialect.js';
import { CLIENT_TYPE_PATTERN, formatPcpUri } from '../protocol/pcpUri.js';
import { bearerToken } from './edge/upgrade.js';

const PCP_PATH = /^\/pcp\/(v1\.0|v2\.0)\/([^/]*)$/;

export type PcpUpgrade =
  | { ok: true; dialect: PcpDialect; uri: string; identity: Identity }
  | { ok: false; status: number; text: string; reason: string };

export function isPcpPath(path: string): boolean {
  return path.startsWith('/pcp/');
}

/**
 * Everything about a PCP connection is settled before the WebSocket exists (CONTRACT §5):
 * path and type (400), token (401), the reserved type `server` (403). [PCP-CONN-1] [PCP-CONN-2]
 */
export function checkPcpUpgrade(req: IncomingMessage, hub: Hub): PcpUpgrade {
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
  const token = bearerToken(req);
  if (token === undefined) return { ok: false, status: 401, text: 'Unauthorized', reason: 'missing token' };
  const verified = hub.verify(token);
  if (!verified.ok) return { ok: false, status: 401, text: 'Unauthorized', reason: verified.error.detail ?? 'refused' };
  if (type === 'server') return { ok: false, status: 403, text: 'Forbidden', reason: 'client type server is reserved' };
  return { ok: true, dialect, uri: formatPcpUri(verified.value.sub, type), identity: verified.value };
}
