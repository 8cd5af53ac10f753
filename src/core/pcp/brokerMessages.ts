import { randomUUID } from 'node:crypto';
import { BROKER_URI, type OutgoingMessage } from '../../protocol/pcp/message.js';
import type { Session } from '../sessions/session.js';

/** A message from the broker to the client `target`, answering `inReplyTo` when given. */
export function brokerMessage(target: string, messageType: string, data: unknown, inReplyTo?: string): OutgoingMessage {
  return {
    id: randomUUID(),
    message_type: messageType,
    target,
    sender: BROKER_URI,
    ...(inReplyTo !== undefined ? { in_reply_to: inReplyTo } : {}),
    ...(data !== undefined ? { data } : {}),
  };
}

/** Sends a broker message to a PCP session (nothing for a session of another dialect). */
export function fromBroker(session: Session, messageType: string, data: unknown, inReplyTo?: string): void {
  const { pcp } = session;
  if (pcp) session.send(pcp.encode(brokerMessage(pcp.uri, messageType, data, inReplyTo)));
}
