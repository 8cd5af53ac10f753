import type { SubscribePayload } from '../../../protocol/pubkeeper/packets.js';
import type { JsonContext } from '../context.js';

/** SUBSCRIBE: snapshot of every matching brewer, then live notifications. */
export function subscribe(ctx: JsonContext, payload: SubscribePayload): void {
  const result = ctx.hub.discovery.subscribe(ctx.session, payload.topic);
  if (!result.ok) ctx.error(result.error);
}
