import { fail, ok, type Result } from '../../protocol/errors.js';
import { MessageType, type PcpMessage } from '../../protocol/pcp/message.js';
import { isWildcardUri } from '../../protocol/pcp/uriSyntax.js';
import { fromBroker } from '../pcp/brokerMessages.js';
import type { Ports } from '../ports.js';
import type { Session } from '../sessions/session.js';

/**
 * A PCP message from one client to another: one exact recipient, a send right for it, a
 * connected holder; then the destination report when asked, then the delivery, unchanged but for
 * `sender`. Nothing is delivered on a failure.
 */
export function route(ports: Ports, from: Session, message: PcpMessage): Result<void> {
  const { targets } = message;
  // [PCP-ROUTE-3] one exact recipient. Checked before the send right: a wildcard can never match a
  // right (rights match concrete URIs), so the other order would answer every wildcard
  // "unauthorized" and hide the real reason.
  const [target] = targets;
  if (target === undefined || targets.length > 1 || isWildcardUri(target)) return fail('MULTIPLE_RECIPIENTS');
  // [PCP-ROUTE-4] the target needs a send right.
  if (!from.identity?.grants.canSend(target)) return fail('UNAUTHORIZED');
  const holder = ports.engine.uris.holderOf(target);
  const to = holder?.node === ports.engine.node ? ports.sessions.get(holder.session) : undefined;
  if (!to?.pcp || !from.pcp) return fail('NOT_CONNECTED');
  // [PCP-V1-2] the report comes before the delivery.
  if (message.destination_report) {
    fromBroker(from, MessageType.DESTINATION_REPORT, { id: message.id, targets: [target] }, message.id);
  }
  ports.stats.messagesRouted++;
  // [PCP-ROUTE-1] unchanged but for sender.
  to.send(
    to.pcp.encode({
      id: message.id,
      message_type: message.message_type,
      target,
      sender: from.pcp.uri,
      ...(message.in_reply_to !== undefined ? { in_reply_to: message.in_reply_to } : {}),
      ...(message.data !== undefined ? { data: message.data } : {}),
      ...(message.expires !== undefined ? { expires: message.expires } : {}),
    }),
  );
  return ok(undefined);
}
