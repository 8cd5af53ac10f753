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
import type { RequestContext } from '../dialect.js';

interface DiscoveryRequest {
  readonly schema: z.ZodType;
  run(ports: Ports, session: Session, data: never): Result<unknown>;
}

/**
 * Discovery over the PCP envelope: the /ws payloads as `data`, the same operations. [PCP-PK-1]
 */
// A Map, not an object: message types such as `constructor` or `__proto__` must not find anything.
const DISCOVERY_REQUESTS: ReadonlyMap<string, DiscoveryRequest> = new Map<string, DiscoveryRequest>([
  [
    MessageType.PK_AUTHENTICATE,
    { schema: authenticateSchema, run: (ports, session, data: z.infer<typeof authenticateSchema>) => operations.authenticate(ports, session, data.token) },
  ],
  [
    MessageType.PK_BREWER_REGISTER,
    {
      schema: brewerRegisterSchema,
      run: (ports, session, data: z.infer<typeof brewerRegisterSchema>) => operations.registerBrewer(ports, session, data.topic, data.brewer),
    },
  ],
  [
    MessageType.PK_BREWER_UNREGISTER,
    {
      schema: brewerUnregisterSchema,
      run: (ports, session, data: z.infer<typeof brewerUnregisterSchema>) => operations.unregisterBrewer(ports, session, data.topic, data.brewer),
    },
  ],
  [
    MessageType.PK_SUBSCRIBE,
    { schema: subscribeSchema, run: (ports, session, data: z.infer<typeof subscribeSchema>) => operations.subscribe(ports, session, data.topic) },
  ],
  [
    MessageType.PK_UNSUBSCRIBE,
    { schema: unsubscribeSchema, run: (ports, session, data: z.infer<typeof unsubscribeSchema>) => operations.unsubscribe(ports, session, data.topic) },
  ],
]);

/**
 * A message to the broker itself (target absent or `pcp:///server`), by message type; answered
 * with `in_reply_to` its id.
 */
export function brokerRequest(ctx: RequestContext, message: PcpMessage): void {
  const { ports, session } = ctx;
  switch (message.message_type) {
    case MessageType.ASSOCIATE_REQUEST:
      // [PCP-BROKER-1] associated at the upgrade (the token named the client): confirmed, as often as asked.
      return fromBroker(session, MessageType.ASSOCIATE_RESPONSE, { id: message.id, success: true }, message.id);
    case MessageType.INVENTORY_REQUEST: {
      const uris = operations.inventoryRequest(ports, session, message.data);
      if (!uris.ok) return ctx.fail(uris.error, message.id);
      return fromBroker(session, MessageType.INVENTORY_RESPONSE, { uris: uris.value }, message.id);
    }
  }
  const discovery = DISCOVERY_REQUESTS.get(message.message_type);
  if (discovery) return discoveryRequest(ctx, message, discovery);
  // [PCP-BROKER-4]
  ctx.fail(new PubkeeperError('UNKNOWN_MESSAGE_TYPE'), message.id);
}

/**
 * validate → the operation → answer: `pubkeeper/ok` (for subscribe after the snapshot, which went
 * out synchronously before it), `unauthorized` for a missing right or another client's brewer,
 * error_message with the §4 wire text for everything else. [PCP-PK-2] [PCP-PK-3]
 */
function discoveryRequest(ctx: RequestContext, message: PcpMessage, request: DiscoveryRequest): void {
  const { data } = message;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return ctx.fail(new PubkeeperError('INVALID_PAYLOAD', 'data must be an object'), message.id);
  }
  const checked = request.schema.safeParse(data);
  if (!checked.success) return ctx.fail(new PubkeeperError('INVALID_PAYLOAD', describeIssue(checked.error)), message.id);
  // The client's own object, not the validator's copy: brewers are echoed exactly as registered.
  const result = request.run(ctx.ports, ctx.session, data as never);
  if (result.ok) return fromBroker(ctx.session, MessageType.PK_OK, {}, message.id);
  ctx.fail(result.error.code === 'LACK_PERMISSIONS' ? new PubkeeperError('UNAUTHORIZED') : result.error, message.id);
}
