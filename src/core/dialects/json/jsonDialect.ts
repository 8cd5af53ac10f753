import { isUtf8 } from 'node:buffer';
import { fail, type Result } from '../../../protocol/errors.js';
import {
  AUTHENTICATED_FALSE,
  AUTHENTICATED_TRUE,
  decodeEnvelope,
  encodeError,
  encodeServerFrame,
  validatePayload,
  type ClientEnvelope,
  type ClientMessage,
} from '../../../protocol/pubkeeper/codec.js';
import { Packet } from '../../../protocol/pubkeeper/packets.js';
import type { BrewerEvent } from '../../brewerEvent.js';
import { sharedTextFrame, textFrame, type Frame } from '../../connection.js';
import { operations } from '../../operations/index.js';
import { andThen, type Settled } from '../../util/settled.js';
import { answerAuthenticate } from '../answerAuthenticate.js';
import type { Dialect, RequestContext } from '../dialect.js';

export const JSON_DIALECT = 'pubkeeper-json';

// Constant frames are built once, as bytes.
const AUTHENTICATED = { true: sharedTextFrame(AUTHENTICATED_TRUE), false: sharedTextFrame(AUTHENTICATED_FALSE) };
const authenticated = (value: boolean): Frame => (value ? AUTHENTICATED.true : AUTHENTICATED.false);

/** The JSON dialect's frame of a brewer event. */
const buildBrewerEvent = (e: BrewerEvent): Frame =>
  sharedTextFrame(encodeServerFrame(e.kind === 'notify' ? Packet.BREWER_NOTIFY : Packet.BREWER_REMOVED, { topic: e.topic, brewer: e.brewer }));

/**
 * Built once per event for all subscribers. On the fan-out path: no allocation per session (the
 * builder is a module constant, not a closure).
 */
function encodeBrewerEvent(event: BrewerEvent): Frame {
  return event.frame(JSON_DIALECT, buildBrewerEvent);
}

/** One handler per packet: the shared operation, then the answer on this wire (an ERROR or nothing). */
function handleMessage(ctx: RequestContext, message: ClientMessage): Settled<void> {
  const { ports, session } = ctx;
  switch (message.id) {
    case Packet.AUTHENTICATE:
      return answerAuthenticate(ctx, operations.authenticate(ports, session, message.payload.token), authenticated);
    case Packet.BREWER_REGISTER:
      return answer(ctx, operations.registerBrewer(ports, session, message.payload.topic, message.payload.brewer));
    case Packet.BREWER_UNREGISTER:
      return answer(ctx, operations.unregisterBrewer(ports, session, message.payload.topic, message.payload.brewer));
    case Packet.SUBSCRIBE:
      return answer(ctx, operations.subscribe(ports, session, message.payload.topic));
    case Packet.UNSUBSCRIBE:
      return answer(ctx, operations.unsubscribe(ports, session, message.payload.topic));
  }
}

/** Answers once the operation has settled: at once in a single process, after the shared log in a cluster. */
function answer(ctx: RequestContext, result: Settled<Result<unknown>>): Settled<void> {
  return andThen(result, (settled) => {
    if (!settled.ok) ctx.fail(settled.error);
  });
}

/**
 * The PubKeeper JSON dialect on /ws (CONTRACT §4): text frames `[packet, payload]`. Frames are
 * handled one at a time, in order, synchronously; answers keep the order of the requests.
 */
export const jsonDialect: Dialect<ClientEnvelope> = {
  name: JSON_DIALECT,
  inBandAuth: { isAuthenticate: (envelope) => envelope.id === Packet.AUTHENTICATE, limitsRefusals: true },

  // [PK-WIRE-1] [PK-WIRE-2] a JSON array in a UTF-8 text frame; binary frames are not part of the dialect.
  decode(data, isBinary): Result<ClientEnvelope> {
    if (isBinary) return fail('DECODE_FAILED', 'binary frames are not accepted; send JSON text');
    if (!isUtf8(data)) return fail('DECODE_FAILED', 'text frame is not UTF-8');
    return decodeEnvelope(data.toString('utf8'));
  },

  handle(ctx, envelope) {
    const message = validatePayload(envelope);
    if (message.ok) return handleMessage(ctx, message.value);
    if (envelope.id === Packet.AUTHENTICATE) return answerAuthenticate(ctx, message, authenticated);
    ctx.fail(message.error);
  },

  encodeError: (error) => textFrame(encodeError(error.message)),
  encodeBrewerEvent,
};
