import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { PubkeeperError, fail, wireText, type Result } from '../../../protocol/errors.js';
import { decodeV1, encodeV1, encodeV1WithData } from '../../../protocol/pcp-v1/codec.js';
import { decodeV2, encodeV2, encodeV2WithData } from '../../../protocol/pcp-v2/codec.js';
import { BROKER_URI, MessageType, type OutgoingMessage, type PcpMessage } from '../../../protocol/pcp/message.js';
import type { BrewerEvent } from '../../brewerEvent.js';
import { binaryFrame, textFrame, type Frame } from '../../connection.js';
import { operations } from '../../operations/index.js';
import { brokerMessage, fromBroker } from '../../pcp/brokerMessages.js';
import type { Settled } from '../../util/settled.js';
import type { Dialect, RequestContext } from '../dialect.js';
import { brokerRequest } from './brokerRequests.js';

/** A PCP dialect also encodes whole messages: those it routes and those from the broker. */
export interface PcpDialect extends Dialect<PcpMessage> {
  readonly version: 'v1' | 'v2';
  encodeMessage(message: OutgoingMessage): Frame;
}

/** What differs between PCP v1 and v2: frame kind and codec. */
interface PcpWire {
  readonly version: 'v1' | 'v2';
  decode(data: Buffer, isBinary: boolean): Result<PcpMessage>;
  encode(message: OutgoingMessage): Frame;
  /** A notification: the data part encoded once per event and version, only the head per session. */
  encodeWithEventData(head: Omit<OutgoingMessage, 'data'>, event: BrewerEvent): Frame;
}

// Module constants, not closures: nothing is allocated per session on the fan-out path but the head.
const eventData = (event: BrewerEvent): string => JSON.stringify({ topic: event.topic, brewer: event.brewer });
const eventDataBytes = (event: BrewerEvent): Buffer => Buffer.from(eventData(event), 'utf8');

const V2_WIRE: PcpWire = {
  version: 'v2',
  // [PCP-WIRE-1] v2 is JSON text in UTF-8; a binary frame cannot be decoded.
  decode(data, isBinary) {
    if (isBinary) return fail('DECODE_FAILED', 'binary frame on PCP v2');
    if (!isUtf8(data)) return fail('DECODE_FAILED', 'text frame is not UTF-8');
    return decodeV2(data.toString('utf8'));
  },
  encode: (message) => textFrame(encodeV2(message)),
  encodeWithEventData: (head, event) => textFrame(encodeV2WithData(head, event.frame('pcp-data-json', eventData))),
};

const V1_WIRE: PcpWire = {
  version: 'v1',
  // [PCP-WIRE-2] v1 is binary chunks; a text frame cannot be decoded.
  decode: (data, isBinary) => (isBinary ? decodeV1(data) : fail('DECODE_FAILED', 'text frame on PCP v1')),
  encode: (message) => binaryFrame(encodeV1(message)),
  encodeWithEventData: (head, event) =>
    binaryFrame(encodeV1WithData(head, event.frame('pcp-data-bytes', eventDataBytes))),
};

/** sender → expiry → the broker itself, or a route to another client. */
function handle(ctx: RequestContext, message: PcpMessage): Settled<void> {
  const { ports, session } = ctx;
  // [PCP-ROUTE-2] the broker sets sender; any other claimed sender is refused.
  if (message.sender !== undefined && message.sender !== session.pcp?.uri) {
    return ctx.fail(new PubkeeperError('SENDER_MISMATCH'), message.id);
  }
  // [PCP-V1-1] an already-expired v1 message is not delivered.
  if (message.expires !== undefined && Date.parse(message.expires) <= Date.now()) {
    return fromBroker(session, MessageType.TTL_EXPIRED, { id: message.id }, message.id);
  }
  const { targets } = message;
  if (targets.length === 0 || (targets.length === 1 && targets[0] === BROKER_URI)) return brokerRequest(ctx, message);
  const routed = operations.route(ports, session, message);
  // A message to another node is not waited for: the session's next frame goes on at once, and a
  // "Not connected." from the cluster comes when it comes.
  if (routed instanceof Promise) {
    void routed.then((result) => {
      if (!result.ok) ctx.fail(result.error, message.id);
    });
    return;
  }
  if (!routed.ok) ctx.fail(routed.error, message.id);
}

/**
 * error_message whose description is the error's wire text (v2 data is that string; the v1
 * encoder makes it `{description, id}`), or `unauthorized` with no data (PCP v2 spec).
 * [PCP-WIRE-1] [PCP-WIRE-2] [PCP-WIRE-3] a decode failure is the exact text, no detail: PCP clients
 * and the reference tests compare it whole.
 */
function errorMessage(error: PubkeeperError, target: string, inReplyTo: string | undefined): OutgoingMessage {
  if (error.code === 'UNAUTHORIZED') return brokerMessage(target, MessageType.UNAUTHORIZED, undefined, inReplyTo);
  const text = error.code === 'DECODE_FAILED' ? wireText('DECODE_FAILED') : error.message;
  return brokerMessage(target, MessageType.ERROR, text, inReplyTo);
}

/**
 * The PCP dialects (CONTRACT §5): authenticated at the upgrade, so every frame is a request;
 * messages to the broker answered by it, others routed to their target.
 */
function pcpDialect(wire: PcpWire): PcpDialect {
  return {
    name: `pcp-${wire.version}`,
    version: wire.version,
    decode: wire.decode,
    handle,
    replyTo: (message) => message.id,
    encodeMessage: wire.encode,
    encodeError: (error, session, inReplyTo) => wire.encode(errorMessage(error, session.pcp?.uri ?? BROKER_URI, inReplyTo)),
    encodeBrewerEvent(event, uri) {
      const messageType = event.kind === 'notify' ? MessageType.PK_BREWER_NOTIFY : MessageType.PK_BREWER_REMOVED;
      return wire.encodeWithEventData({ id: randomUUID(), message_type: messageType, target: uri, sender: BROKER_URI }, event);
    },
  };
}

export const PCP_V2 = pcpDialect(V2_WIRE);
export const PCP_V1 = pcpDialect(V1_WIRE);
