import { randomUUID } from 'node:crypto';
import type { PubkeeperError } from '../../protocol/errors.js';
import type { OutgoingMessage } from '../../protocol/pcp/message.js';
import { BROKER_URI, MessageType } from '../../protocol/pcp/message.js';
import type { BrewerEvent } from '../brewerEvent.js';
import type { Session } from '../session.js';
import type { PcpDialect } from './dialects.js';

/**
 * One PCP connection: its URI, its version's codec, and the core Session that carries identity,
 * registrations and output guards. Frames are handled one at a time, in order.
 */
export class PcpSession {
  constructor(
    readonly session: Session,
    readonly uri: string,
    readonly dialect: PcpDialect,
  ) {
    session.deliver = (event) => this.deliverBrewerEvent(event);
  }

  send(message: OutgoingMessage): void {
    this.session.send(this.dialect.encode(message));
  }

  /** A broker message to this client, answering `inReplyTo` when given. */
  fromBroker(messageType: string, data: unknown, inReplyTo?: string): void {
    this.send({
      id: randomUUID(),
      message_type: messageType,
      target: this.uri,
      sender: BROKER_URI,
      ...(inReplyTo !== undefined ? { in_reply_to: inReplyTo } : {}),
      ...(data !== undefined ? { data } : {}),
    });
  }

  /**
   * error_message whose description is the error's wire text: v2 data is that string; the v1
   * encoder makes it `{description, id}`.
   */
  error(error: PubkeeperError, inReplyTo?: string): void {
    this.session.log.debug({ code: error.code }, 'error_message sent');
    if (!this.session.countError(error.code)) return;
    this.fromBroker(MessageType.ERROR, error.message, inReplyTo);
  }

  /** `http://puppetlabs.com/unauthorized`, no data (PCP v2 spec). */
  unauthorized(inReplyTo: string): void {
    if (!this.session.countError('UNAUTHORIZED')) return;
    this.fromBroker(MessageType.UNAUTHORIZED, undefined, inReplyTo);
  }

  /** Notifications: the data part is encoded once per event and dialect, only the head per session. */
  private deliverBrewerEvent(event: BrewerEvent): void {
    const messageType = event.kind === 'notify' ? MessageType.PK_BREWER_NOTIFY : MessageType.PK_BREWER_REMOVED;
    const head = { id: randomUUID(), message_type: messageType, target: this.uri, sender: BROKER_URI };
    this.session.send(this.dialect.encodeBrewerEvent(head, event));
  }
}
