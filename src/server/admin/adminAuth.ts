import type { IncomingMessage } from 'node:http';
import { refusalReason, type AuthRefusalReason } from '../../core/auth/refusal.js';
import type { Identity } from '../../core/auth/verifyToken.js';
import type { Hub } from '../../core/hub.js';

export type AdminCheck =
  | { ok: true; identity: Identity }
  | { ok: false; status: 401 | 403; error: string; reason: AuthRefusalReason; sub?: string };

/**
 * Every admin endpoint: a bearer token the server accepts (401) whose rights include `admin:*` or
 * `all` (403). [ADM-AUTH-1]
 */
export function checkAdmin(req: IncomingMessage, hub: Hub): AdminCheck {
  const header = req.headers.authorization;
  const token = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (token === undefined) return { ok: false, status: 401, error: 'missing token: send Authorization: Bearer <token>', reason: 'missing' };
  const verified = hub.verify(token, 'admin');
  if (!verified.ok) return { ok: false, status: 401, error: verified.error.detail ?? 'token refused', reason: refusalReason(verified.error.detail) };
  if (!verified.value.grants.admin) return { ok: false, status: 403, error: 'the token has no admin right', reason: 'forbidden', sub: verified.value.sub };
  return { ok: true, identity: verified.value };
}
