import { CloseCode, CloseReason } from '../../../protocol/closeCodes.js';
import type { RevocationTarget } from '../../admin/revocations.js';
import type { Ports } from '../../ports.js';
import type { Session } from '../../sessions/session.js';

/**
 * `revoke token`: from now on the server refuses tokens with this jti or sub (the caller has made
 * that durable first), and the live sessions using one close 4004. Returns how many closed.
 * [ADM-REVOKE-1]
 */
export function revokeToken(ports: Ports, target: RevocationTarget): number {
  const sessions: Session[] = 'jti' in target ? [...ports.sessions.withJti(target.jti)] : [...ports.sessions.withSub(target.sub)];
  for (const session of sessions) {
    session.log.warn('token revoked, closing');
    session.close(CloseCode.TOKEN_REVOKED, CloseReason.TOKEN_REVOKED);
  }
  return sessions.length;
}
