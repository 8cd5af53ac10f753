import type { PubkeeperError } from '../../../protocol/errors.js';
import type { AuthenticatePayload } from '../../../protocol/pubkeeper/packets.js';
import { AUTHENTICATED_FALSE, AUTHENTICATED_TRUE } from '../../../protocol/pubkeeper/codec.js';
import type { JsonContext } from '../context.js';

/**
 * AUTHENTICATE: verify, adopt (or refresh), then answer. A refused token gets the ERROR saying
 * why first and AUTHENTICATED (the status after the packet) last, so AUTHENTICATED is always the
 * final answer to an AUTHENTICATE and a client can tell which ERROR belongs to it.
 * [PK-AUTH-2] [PK-AUTH-4]
 */
export function authenticate(ctx: JsonContext, payload: AuthenticatePayload): void {
  const result = ctx.hub.authenticate(ctx.session, payload.token);
  if (!result.ok) return rejectAuthenticate(ctx, result.error);
  ctx.session.log.debug('authenticated');
  ctx.session.send(AUTHENTICATED_TRUE);
}

/**
 * A refused AUTHENTICATE, whether the token or the payload was bad: ERROR, then AUTHENTICATED
 * with the unchanged status; counts towards the close while unauthenticated. [PK-AUTH-2] [PK-AUTH-3]
 */
export function rejectAuthenticate(ctx: JsonContext, error: PubkeeperError): void {
  ctx.error(error);
  ctx.session.send(ctx.session.identity ? AUTHENTICATED_TRUE : AUTHENTICATED_FALSE);
  if (!ctx.session.identity) ctx.authFailed();
}
