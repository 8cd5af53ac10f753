import type { BrewerUnregisterPayload } from '../../../protocol/pubkeeper/packets.js';
import type { JsonContext } from '../context.js';

/** BREWER_UNREGISTER: by uuid string or the exact registered object. */
export function brewerUnregister(ctx: JsonContext, payload: BrewerUnregisterPayload): void {
  const result = ctx.hub.discovery.unregisterBrewer(ctx.session, payload.topic, payload.brewer);
  if (!result.ok) ctx.error(result.error);
}
