import type { IncomingMessage } from 'node:http';
import type { Identity } from '../../core/auth/verifyToken.js';
import type { Hub } from '../../core/hub.js';

export type AdminCheck = { ok: true; identity: Identity } | { ok: false; status: 401 | 403; error: string };

/**
 * Every admin endpoint: a bearer token the server accepts (401) whose rights include `admin:*` or
 * `all` (403). [ADM-AUTH-1]
 */
export function checkAdmin(req: IncomingMessage, hub: Hub): AdminCheck {
  const header = req.headers.authorization;
  const token = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (token === undefined) return { ok: false, status: 401, error: 'missing token: send Authorization: Bearer <token>' };
  const verified = hub.verify(token);
  if (!verified.ok) return { ok: false, status: 401, error: verified.error.detail ?? 'token refused' };
  if (!verified.value.grants.admin) return { ok: false, status: 403, error: 'the token has no admin right' };
  return { ok: true, identity: verified.value };
}
