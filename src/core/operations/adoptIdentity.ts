import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import type { Identity } from '../auth/verifyToken.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import { enforceGrants } from './enforceGrants.js';

// setTimeout keeps at most a 32-bit signed delay; longer would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Binds a verified identity to a session: the session table's indexes, the expiry timer, and on a
 * refresh the pruning of what the new rights no longer allow.
 */
export function adoptIdentity(ports: Ports, session: Session, identity: Identity): void {
  const previous = session.identity;
  session.identity = identity;
  ports.sessions.identityChanged(session, previous);
  armExpiry(session, identity);
  if (!previous) {
    clearTimeout(session.authTimer);
    session.authTimer = undefined;
    session.subjectKnown(identity.sub);
  }
  else enforceGrants(ports, session);
  session.updated();
}

/** [PK-AUTH-6] a token whose `exp` passes closes its session 4003. */
function armExpiry(session: Session, identity: Identity): void {
  clearTimeout(session.expiryTimer);
  session.expiryTimer = undefined;
  if (identity.exp === undefined) return;
  const ms = identity.exp * 1000 - Date.now();
  session.expiryTimer = session.setTimer(Math.max(0, Math.min(ms, MAX_TIMER_MS)), () => {
    if (identity.exp !== undefined && identity.exp * 1000 > Date.now()) return armExpiry(session, identity);
    session.log.warn('token expired, closing');
    session.close(CloseCode.TOKEN_EXPIRED, CloseReason.TOKEN_EXPIRED);
  });
}
