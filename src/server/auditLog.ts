import type { AuthRefusal } from '../core/auth/refusal.js';
import type { Hub } from '../core/hub.js';
import type { Logger } from '../core/logger.js';

/**
 * The info lines an operator follows sessions and authentication by, from what the hub reports:
 * every session's close (with its code, reason and duration) and every refused authentication, on
 * any surface, with the peer's address, the reason and the subject when known. Never a token: a
 * refusal carries only a reason from a closed set. The "session opened" line is the server's
 * (`PubkeeperServer.attach`), once the session is bound to its socket, and "session authenticated"
 * the core's, when an in-band session's subject becomes known.
 */
export function followSessionsAndAuth(hub: Hub, logger: Logger): void {
  hub.on('sessionEnded', (session, code, reason) => {
    session.info('session closed', { code, reason, durationMs: Date.now() - session.connectedAt });
  });
  hub.on('authRefused', (refusal: AuthRefusal) => {
    // A valid token without the right is worth an operator's attention more than a bad one.
    if (refusal.reason === 'forbidden') logger.warn(refusal, 'authentication refused');
    else logger.info(refusal, 'authentication refused');
  });
}
