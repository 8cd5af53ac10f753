import type { SubscribePayload } from '../../../protocol/pubkeeper/packets.js';
import type { JsonContext } from '../context.js';

/** UNSUBSCRIBE: a pattern this session subscribed, else ERROR. */
export function unsubscribe(ctx: JsonContext, payload: SubscribePayload): void {
  const result = ctx.hub.discovery.unsubscribe(ctx.session, payload.topic);
  if (!result.ok) ctx.error(result.error);
}
