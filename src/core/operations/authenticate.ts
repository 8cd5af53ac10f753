import { fail, ok, type Result } from '../../protocol/errors.js';
import { refusalReason } from '../auth/refusal.js';
import { holdsToken, type Identity } from '../auth/verifyToken.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import { adoptIdentity } from './adoptIdentity.js';

/**
 * First authentication, or a refresh with a fresh token of the same `sub`: verify, check the
 * subject, adopt. A refused token or another `sub` changes nothing. [PK-AUTH-1] [PK-AUTH-4] [PK-AUTH-5]
 */
export function authenticate(ports: Ports, session: Session, token: unknown): Result<Identity> {
  // The very token the session holds (the SDK's barrier): already verified, same rights, same
  // exp, so there is nothing to re-check and nothing to prune. The session keeps a digest of it,
  // not the token.
  if (session.identity !== undefined && holdsToken(session.identity, token)) return ok(session.identity);
  // [PK-AUTH-7] a refresh costs a signature check and a pass over what the session holds: metered,
  // before either.
  if (session.identity !== undefined && session.refreshes.spend()) {
    session.authRefused('too_many_refreshes');
    return fail('LIMIT_EXCEEDED', `at most ${session.limits.maxTokenRefreshesPer10s} token refreshes per 10 s`);
  }
  const verified = ports.verify(token, session.pcp ? 'pcp' : 'ws');
  if (!verified.ok) {
    session.authRefused(refusalReason(verified.error.detail));
    return verified;
  }
  const identity = verified.value;
  if (session.identity && session.identity.sub !== identity.sub) {
    session.authRefused('other_subject');
    return fail('LACK_PERMISSIONS', `token is for another client than ${session.identity.sub}`);
  }
  const first = session.identity === undefined;
  adoptIdentity(ports, session, identity);
  // Who an in-band session is becomes known here (a PCP session's, at its upgrade); refreshes are debug lines.
  if (first) session.info('session authenticated');
  return ok(identity);
}
