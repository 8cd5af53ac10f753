import type { z } from 'zod';
import { describeIssue } from '../../../protocol/pubkeeper/codec.js';
import {
  authenticateSchema,
  brewerRegisterSchema,
  brewerUnregisterSchema,
  subscribeSchema,
} from '../../../protocol/pubkeeper/packets.js';
import { MessageType, type PcpMessage } from '../../../protocol/pcp/message.js';
import { PubkeeperError, type Result } from '../../../protocol/errors.js';
import type { Hub } from '../../hub.js';
import type { PcpSession } from '../pcpSession.js';

type Operation = (hub: Hub, from: PcpSession, data: never) => Result<unknown>;

interface DiscoveryOperation {
  schema: z.ZodType;
  run: Operation;
}

/**
 * Discovery over the PCP envelope: the /ws payloads as `data`, the same registry. [PCP-PK-1]
 */
// A Map, not an object: message types such as `constructor` or `__proto__` must not find anything.
export const DISCOVERY_OPERATIONS: ReadonlyMap<string, DiscoveryOperation> = new Map(Object.entries({
  [MessageType.PK_AUTHENTICATE]: {
    schema: authenticateSchema,
    run: (hub, from, data: z.infer<typeof authenticateSchema>) => hub.authenticate(from.session, data.token),
  },
  [MessageType.PK_BREWER_REGISTER]: {
    schema: brewerRegisterSchema,
    run: (hub, from, data: z.infer<typeof brewerRegisterSchema>) =>
      hub.discovery.registerBrewer(from.session, data.topic, data.brewer),
  },
  [MessageType.PK_BREWER_UNREGISTER]: {
    schema: brewerUnregisterSchema,
    run: (hub, from, data: z.infer<typeof brewerUnregisterSchema>) =>
      hub.discovery.unregisterBrewer(from.session, data.topic, data.brewer),
  },
  [MessageType.PK_SUBSCRIBE]: {
    schema: subscribeSchema,
    run: (hub, from, data: z.infer<typeof subscribeSchema>) => hub.discovery.subscribe(from.session, data.topic),
  },
  [MessageType.PK_UNSUBSCRIBE]: {
    schema: subscribeSchema,
    run: (hub, from, data: z.infer<typeof subscribeSchema>) => hub.discovery.unsubscribe(from.session, data.topic),
  },
}));

/**
 * validate → apply (Discovery authorizes) → answer: `pubkeeper/ok` (after a subscribe's snapshot,
 * which went out synchronously before it), `unauthorized` for a missing right or another client's
 * brewer, error_message with the §4 wire text for everything else. [PCP-PK-2] [PCP-PK-3]
 */
export function discoveryRequest(hub: Hub, from: PcpSession, message: PcpMessage, op: DiscoveryOperation): void {
  const data = message.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return from.error(new PubkeeperError('INVALID_PAYLOAD', 'data must be an object'), message.id);
  }
  const checked = op.schema.safeParse(data);
  if (!checked.success) return from.error(new PubkeeperError('INVALID_PAYLOAD', describeIssue(checked.error)), message.id);
  // The client's own object, not the validator's copy: brewers are echoed exactly as registered.
  const result = op.run(hub, from, data as never);
  if (result.ok) return from.fromBroker(MessageType.PK_OK, {}, message.id);
  if (result.error.code === 'LACK_PERMISSIONS') return from.unauthorized(message.id);
  from.error(result.error, message.id);
}
