import { fail, ok, wireText, type Result } from '../../protocol/errors.js';
import { BROKER_URI, MessageType, type OutgoingMessage, type PcpMessage } from '../../protocol/pcp/message.js';
import { isWildcardUri } from '../../protocol/pcp/uriSyntax.js';
import { brokerMessage, fromBroker } from '../pcp/brokerMessages.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';
import type { SessionRef } from '../sessions/sessionRef.js';
import { andThen, type Settled } from '../util/settled.js';

/**
 * A PCP message from one client to another: one exact recipient, a send right for it, a
 * connected holder; then the destination report when asked, then the delivery, unchanged but for
 * `sender`. Nothing is delivered on a failure. A holder on another node of the cluster gets it
 * through the engine: the answer is then a promise, "Not connected." when no node took it.
 */
export function route(ports: Ports, from: Session, message: PcpMessage): Settled<Result<void>> {
  const { targets } = message;
  // [PCP-ROUTE-3] one exact recipient. Checked before the send right: a wildcard can never match a
  // right (rights match concrete URIs), so the other order would answer every wildcard
  // "unauthorized" and hide the real reason.
  const [target] = targets;
  if (target === undefined || targets.length > 1 || isWildcardUri(target)) return fail('MULTIPLE_RECIPIENTS');
  // [PCP-ROUTE-4] the target needs a send right.
  if (!from.identity?.grants.canSend(target)) return fail('UNAUTHORIZED');
  const holder = ports.engine.uris.holderOf(target);
  if (holder) return deliver(ports, from, message, target, holder);
  // Not in this node's copy: in a cluster it may have connected elsewhere a moment ago.
  const located = ports.engine.locate(target);
  if (located === undefined) return fail('NOT_CONNECTED');
  return andThen(located, (found) => (found ? deliver(ports, from, message, target, found) : fail('NOT_CONNECTED')));
}

function deliver(ports: Ports, from: Session, message: PcpMessage, target: string, holder: SessionRef): Settled<Result<void>> {
  const remote = holder.node !== ports.engine.node;
  const to = remote ? undefined : ports.sessions.get(holder.session);
  if (!from.pcp || (!remote && !to?.pcp)) return fail('NOT_CONNECTED');
  // [PCP-V1-2] the report comes before the delivery.
  if (message.destination_report) {
    fromBroker(from, MessageType.DESTINATION_REPORT, { id: message.id, targets: [target] }, message.id);
  }
  ports.stats.messagesRouted++;
  // [PCP-ROUTE-1] unchanged but for sender.
  const outgoing: OutgoingMessage = {
    id: message.id,
    message_type: message.message_type,
    target,
    sender: from.pcp.uri,
    ...(message.in_reply_to !== undefined ? { in_reply_to: message.in_reply_to } : {}),
    ...(message.data !== undefined ? { data: message.data } : {}),
    ...(message.expires !== undefined ? { expires: message.expires } : {}),
  };
  if (remote) return forwarded(ports.engine.forward(holder, outgoing, from.ref));
  deliverRouted(to, outgoing);
  return ok(undefined);
}

/** Hands a routed message to a session of this node, in its own PCP version. */
export function deliverRouted(to: Session | undefined, message: OutgoingMessage): boolean {
  if (!to?.pcp) return false;
  to.send(to.pcp.encode(message));
  return true;
}

/**
 * What the sender is told when a message forwarded to another node found its session gone (it
 * left between this node's look-up and the delivery): the "Not connected." it would have had here.
 */
export function notConnected(message: OutgoingMessage): OutgoingMessage | undefined {
  if (message.sender === undefined || message.sender === BROKER_URI) return undefined;
  return brokerMessage(message.sender, MessageType.ERROR, wireText('NOT_CONNECTED'), message.id);
}

async function forwarded(taken: Settled<boolean>): Promise<Result<void>> {
  return (await taken) ? ok(undefined) : fail('NOT_CONNECTED');
}
