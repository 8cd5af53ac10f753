import type { BrewerRegisterPayload } from '../../../protocol/pubkeeper/packets.js';
import type { JsonContext } from '../context.js';

/** BREWER_REGISTER: validate, authorize, apply, notify — all in Discovery. */
export function brewerRegister(ctx: JsonContext, payload: BrewerRegisterPayload): void {
  const result = ctx.hub.discovery.registerBrewer(ctx.session, payload.topic, payload.brewer);
  if (!result.ok) ctx.error(result.error);
}
