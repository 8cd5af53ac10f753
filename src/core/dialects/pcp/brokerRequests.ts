import type { z } from 'zod';
import { PubkeeperError, type Result } from '../../../protocol/errors.js';
import { MessageType, type PcpMessage } from '../../../protocol/pcp/message.js';
import { describeIssue } from '../../../protocol/pubkeeper/codec.js';
import {
  authenticateSchema,
  brewerRegisterSchema,
  brewerUnregisterSchema,
  subscribeSchema,
  unsubscribeSchema,
} from '../../../protocol/pubkeeper/packets.js';
import { operations } from '../../operations/index.js';
import { fromBroker } from '../../pcp/brokerMessages.js';
import type { Ports } from '../../ports.js';
import type { Session } from '../../sessions/session.js';
import { andThen, type Settled } from '../../util/settled.js';
import type { RequestContext } from '../dialect.js';

/** One kind of message to the broker: how it is answered. */
type BrokerHandler = (ctx: RequestContext, message: PcpMessage) => Settled<void>;

/**
 * Discovery over the PCP envelope: the /ws payloads as `data`, the same operations. validate →
 * the operation → answer: `pubkeeper/ok` (for subscribe after the snapshot, which went out
 * synchronously before it), `unauthorized` for a missing right or another client's brewer,
 * error_message with the §4 wire text for everything else. [PCP-PK-1] [PCP-PK-2] [PCP-PK-3]
 */
function discovery<S extends z.ZodType>(schema: S, run: (ports: Ports, session: Session, data: z.infer<S>) => Settled<Result<unknown>>): BrokerHandler {
  return (ctx, message) => {
    const { data } = message;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return ctx.fail(new PubkeeperError('INVALID_PAYLOAD', 'data must be an object'), message.id);
    }
    const checked = schema.safeParse(data);
    if (!checked.success) return ctx.fail(new PubkeeperError('INVALID_PAYLOAD', describeIssue(checked.error)), message.id);
    // The client's own object, not the validator's copy: brewers are echoed exactly as registered.
    return andThen(run(ctx.ports, ctx.session, data as z.infer<S>), (result) => {
      if (result.ok) return fromBroker(ctx.session, MessageType.PK_OK, {}, message.id);
      ctx.fail(result.error.code === 'LACK_PERMISSIONS' ? new PubkeeperError('UNAUTHORIZED') : result.error, message.id);
    });
  };
}

/**
 * What the broker itself answers, by message type, with `in_reply_to` the request's id. A Map, not
 * an object: message types such as `constructor` or `__proto__` must not find anything.
 */
const BROKER_HANDLERS: ReadonlyMap<string, BrokerHandler> = new Map<string, BrokerHandler>([
  // [PCP-BROKER-1] associated at the upgrade (the token named the client): confirmed, as often as asked.
  [MessageType.ASSOCIATE_REQUEST, (ctx, message) => fromBroker(ctx.session, MessageType.ASSOCIATE_RESPONSE, { id: message.id, success: true }, message.id)],
  [
    MessageType.INVENTORY_REQUEST,
    (ctx, message) => {
      const uris = operations.inventoryRequest(ctx.ports, ctx.session, message.data);
      if (!uris.ok) return ctx.fail(uris.error, message.id);
      fromBroker(ctx.session, MessageType.INVENTORY_RESPONSE, { uris: uris.value }, message.id);
    },
  ],
  [MessageType.PK_AUTHENTICATE, discovery(authenticateSchema, (ports, session, data) => operations.authenticate(ports, session, data.token))],
  [MessageType.PK_BREWER_REGISTER, discovery(brewerRegisterSchema, (ports, session, data) => operations.registerBrewer(ports, session, data.topic, data.brewer))],
  [MessageType.PK_BREWER_UNREGISTER, discovery(brewerUnregisterSchema, (ports, session, data) => operations.unregisterBrewer(ports, session, data.topic, data.brewer))],
  [MessageType.PK_SUBSCRIBE, discovery(subscribeSchema, (ports, session, data) => operations.subscribe(ports, session, data.topic))],
  [MessageType.PK_UNSUBSCRIBE, discovery(unsubscribeSchema, (ports, session, data) => operations.unsubscribe(ports, session, data.topic))],
]);

/** A message to the broker itself (target absent or `pcp:///server`). */
export function brokerRequest(ctx: RequestContext, message: PcpMessage): Settled<void> {
  const handler = BROKER_HANDLERS.get(message.message_type);
  if (handler) return handler(ctx, message);
  // [PCP-BROKER-4]
  ctx.fail(new PubkeeperError('UNKNOWN_MESSAGE_TYPE'), message.id);
}
