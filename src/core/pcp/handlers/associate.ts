import { MessageType, type PcpMessage } from '../../../protocol/pcp/message.js';
import type { PcpSession } from '../pcpSession.js';

/**
 * associate_request: the session was associated at the upgrade (the token named the client), so
 * this only confirms it, as often as asked. [PCP-BROKER-1]
 */
export function associate(from: PcpSession, message: PcpMessage): void {
  from.fromBroker(MessageType.ASSOCIATE_RESPONSE, { id: message.id, success: true }, message.id);
}
