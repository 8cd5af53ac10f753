import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import { PubkeeperError } from '../../protocol/errors.js';
import { BROKER_URI, MessageType, type PcpMessage } from '../../protocol/pcp/message.js';
import { isWildcardUri } from '../../protocol/pcp/uriSyntax.js';
import type { Identity } from '../auth/verifyToken.js';
import type { Connection } from '../connection.js';
import type { Hub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { Session } from '../session.js';
import type { PcpDialect } from './dialects.js';
import { associate } from './handlers/associate.js';
import { DISCOVERY_OPERATIONS, discoveryRequest } from './handlers/discovery.js';
import { inventoryRequest } from './handlers/inventoryRequest.js';
import { Inventory } from './inventory.js';
import { PcpSession } from './pcpSession.js';
import { unexpectedError } from '../unexpected.js';

export interface BrokerStats {
  messagesRouted: number;
}

/**
 * The PCP side of the hub: the URI table (one session per URI, newest wins), message routing
 * between clients, and the messages addressed to the broker itself.
 */
export class PcpBroker {
  readonly inventory: Inventory;
  readonly stats: BrokerStats = { messagesRouted: 0 };
  private readonly byUri = new Map<string, PcpSession>();
  private readonly bySession = new Map<Session, PcpSession>();

  constructor(private readonly hub: Hub) {
    this.inventory = new Inventory(hub.options.inventoryBatchMs);
    hub.onSessionEnd((session) => this.ended(session));
  }

  get connectedCount(): number {
    return this.byUri.size;
  }

  /**
   * A client authenticated at the upgrade. An older session with the same URI is closed 4000,
   * after its brewer registrations move to the new one: the same client reconnecting must not
   * make its brewers flap (REMOVED, then NOTIFY again). Subscriptions do not move (PCP: "not
   * maintained across sessions"). The inventory reads -1 then +1. [PCP-CONN-3] [PCP-CONN-5]
   */
  connect(uri: string, dialect: PcpDialect, identity: Identity, conn: Connection, log: Logger): PcpSession {
    const session = this.hub.createSession(dialect.name, conn, log.child({ uri }));
    this.hub.adopt(session, identity);
    const older = this.byUri.get(uri);
    if (older) {
      this.hub.discovery.transferBrewers(older.session, session);
      older.session.log.warn('superseded by a new connection');
      older.session.close(CloseCode.SUPERSEDED, CloseReason.SUPERSEDED);
    }
    const pcp = new PcpSession(session, uri, dialect);
    this.byUri.set(uri, pcp);
    this.bySession.set(session, pcp);
    this.inventory.connected(uri);
    return pcp;
  }

  /** One inbound frame, decoded by the session's dialect, then routed. */
  onFrame(from: PcpSession, data: Buffer, isBinary: boolean): void {
    if (from.session.closed) return;
    let id: string | undefined;
    try {
      const decoded = from.dialect.decode(data, isBinary);
      if (!decoded.ok) {
        from.session.log.debug({ detail: decoded.error.detail }, 'could not decode');
        // [PCP-WIRE-1] [PCP-WIRE-2] [PCP-WIRE-3] the exact text, no detail: PCP clients and the
        // reference tests compare it whole; in_reply_to only when a UUID id could be read.
        return from.error(new PubkeeperError('DECODE_FAILED'), decoded.error.id);
      }
      id = decoded.message.id;
      this.route(from, decoded.message);
    } catch (err) {
      // A bug (or a stack-deep payload) costs this one message, never the process or another session.
      from.error(unexpectedError(err, from.session.log), id);
    }
  }

  /** sender → expiry → broker, or (single target → send right → connected) → deliver. */
  private route(from: PcpSession, message: PcpMessage): void {
    // [PCP-ROUTE-2] the broker sets sender; any other claimed sender is refused.
    if (message.sender !== undefined && message.sender !== from.uri) {
      return from.error(new PubkeeperError('SENDER_MISMATCH'), message.id);
    }
    // [PCP-V1-1] an already-expired v1 message is not delivered.
    if (message.expires !== undefined && Date.parse(message.expires) <= Date.now()) {
      return from.fromBroker(MessageType.TTL_EXPIRED, { id: message.id }, message.id);
    }
    const { targets } = message;
    if (targets.length === 0 || (targets.length === 1 && targets[0] === BROKER_URI)) {
      return this.toBroker(from, message);
    }
    // [PCP-ROUTE-3] one exact recipient. Checked before the send right: a wildcard can never
    // match a right (rights match concrete URIs), so the other order would answer every wildcard
    // "unauthorized" and hide the real reason.
    const [target] = targets;
    if (target === undefined || targets.length > 1 || isWildcardUri(target)) {
      return from.error(new PubkeeperError('MULTIPLE_RECIPIENTS'), message.id);
    }
    // [PCP-ROUTE-4] the target needs a send right; nothing is delivered otherwise.
    if (!from.session.identity?.grants.canSend(target)) return from.unauthorized(message.id);
    const to = this.byUri.get(target);
    if (!to) return from.error(new PubkeeperError('NOT_CONNECTED'), message.id);
    // [PCP-V1-2] the report comes before the delivery.
    if (message.destination_report) {
      from.fromBroker(MessageType.DESTINATION_REPORT, { id: message.id, targets: [target] }, message.id);
    }
    this.stats.messagesRouted++;
    // [PCP-ROUTE-1] unchanged but for sender.
    to.send({
      id: message.id,
      message_type: message.message_type,
      target,
      sender: from.uri,
      ...(message.in_reply_to !== undefined ? { in_reply_to: message.in_reply_to } : {}),
      ...(message.data !== undefined ? { data: message.data } : {}),
      ...(message.expires !== undefined ? { expires: message.expires } : {}),
    });
  }

  private toBroker(from: PcpSession, message: PcpMessage): void {
    switch (message.message_type) {
      case MessageType.ASSOCIATE_REQUEST:
        return associate(from, message);
      case MessageType.INVENTORY_REQUEST:
        return inventoryRequest(from, message, this.inventory);
    }
    const discovery = DISCOVERY_OPERATIONS.get(message.message_type);
    if (discovery) return discoveryRequest(this.hub, from, message, discovery);
    // [PCP-BROKER-4]
    from.error(new PubkeeperError('UNKNOWN_MESSAGE_TYPE'), message.id);
  }

  private ended(session: Session): void {
    const pcp = this.bySession.get(session);
    if (!pcp) return;
    this.bySession.delete(session);
    this.inventory.unsubscribe(pcp);
    // Only the URI's current holder leaves the table and the inventory: a superseded session
    // must not remove its successor.
    if (this.byUri.get(pcp.uri) !== pcp) return;
    this.byUri.delete(pcp.uri);
    this.inventory.disconnected(pcp.uri);
  }

  stop(): void {
    this.inventory.stop();
  }
}
