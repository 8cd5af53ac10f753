import type { Identity } from '../auth/verifyToken.js';
import type { Frame } from '../connection.js';
import type { Result } from '../../protocol/errors.js';
import type { RequestContext } from './dialect.js';

/**
 * The answer to an in-band AUTHENTICATE (JSON and 1.x): a refused token gets the ERROR saying why
 * first and the status after the packet last, so the status is always the final answer to an
 * AUTHENTICATE and a client can tell which ERROR belongs to it. A refusal on an unauthenticated
 * session counts towards the close. [PK-AUTH-2] [PK-AUTH-3] [PK1-AUTH-1]
 */
export function answerAuthenticate(ctx: RequestContext, result: Result<Identity>, status: (authenticated: boolean) => Frame): void {
  if (!result.ok) ctx.fail(result.error);
  else ctx.session.debug('token accepted');
  ctx.session.send(status(ctx.session.identity !== undefined));
  if (!result.ok) ctx.authRefused();
}
