import { fail, type Result } from '../../../protocol/errors.js';
import { decodeV1Envelope, encodeV1, validateV1Payload, type V1Envelope } from '../../../protocol/pubkeeper-v1/codec.js';
import type { V1Version } from '../../../protocol/pubkeeper-v1/frame.js';
import { V1Packet, type V1ClientMessage } from '../../../protocol/pubkeeper-v1/packets.js';
import { binaryFrame, type Frame } from '../../connection.js';
import type { PairEvent } from '../../notify/pairEvent.js';
import { operations } from '../../operations/index.js';
import { andThen, type Settled } from '../../util/settled.js';
import { answerAuthenticate } from '../answerAuthenticate.js';
import type { Dialect, RequestContext } from '../dialect.js';

export const V1_DIALECT = 'pubkeeper-v1';

/** One handler per packet: the shared operation, then the answer on this wire (an ERROR or nothing). */
function handleMessage(ctx: RequestContext, message: V1ClientMessage, status: (authenticated: boolean) => Frame): Settled<void> {
  const { ports, session } = ctx;
  switch (message.id) {
    case V1Packet.CLIENT_AUTHENTICATE:
      return answerAuthenticate(ctx, operations.authenticate(ports, session, message.payload.token), status);
    case V1Packet.BREWS_REGISTER:
      // [PK1-BREWS-1] accepted; pairs are made from each registration's own brews.
      return;
    case V1Packet.BREWER_REGISTER: {
      const { topic, brewer_id: uuid, brewer_config: brewerConfig, brews } = message.payload;
      // [PK1-MAP-1] a 1.x brewer is stored as {uuid, brewer_config, brews} for every dialect.
      return answer(ctx, operations.registerBrewer(ports, session, topic, { uuid, brewer_config: brewerConfig, brews }));
    }
    case V1Packet.BREWER_UNREGISTER:
      // [PK1-UNREG-1] an unknown brewer is harmless; another client's is refused.
      return answer(
        ctx,
        operations.unregisterBrewer(ports, session, message.payload.topic, message.payload.brewer_id, { unknownIsHarmless: true }),
      );
    case V1Packet.PATRON_REGISTER: {
      const { topic, patron_id: patronId, brews } = message.payload;
      return answer(ctx, operations.registerPatron(ports, session, topic, patronId, brews));
    }
    case V1Packet.PATRON_UNREGISTER:
      return answer(ctx, operations.unregisterPatron(ports, session, message.payload.topic, message.payload.patron_id));
    case V1Packet.ERROR:
      // [PK1-ERR-2] logged, never answered (an ERROR answering an ERROR could loop).
      session.debug({ message: message.payload.message }, 'client reported an error');
      return;
  }
}

/** Answers once the operation has settled: at once in a single process, after the shared log in a cluster. */
function answer(ctx: RequestContext, result: Settled<Result<unknown>>): Settled<void> {
  return andThen(result, (settled) => {
    if (!settled.ok) ctx.fail(settled.error);
  });
}

function encodePairEvent(version: V1Version, event: PairEvent): Frame[] {
  switch (event.kind) {
    case 'brewerNotify':
      return encodeV1.brewerNotify(version, event.patronId, event.entries).map(binaryFrame);
    case 'patronNotify':
      return encodeV1.patronNotify(version, event.brewerId, event.entries).map(binaryFrame);
    case 'brewerRemoved':
      return [binaryFrame(encodeV1.brewerRemoved(version, event.topic, event.patronId, event.brewerId))];
    case 'patronRemoved':
      return [binaryFrame(encodeV1.patronRemoved(version, event.topic, event.brewerId, event.patronId))];
  }
}

/**
 * The 1.x binary dialect on /ws (CONTRACT §4b) that the original clients speak: brewers and
 * patrons with brews, told of their pairs. One dialect per framing version.
 */
function v1Dialect(version: V1Version): Dialect<V1Envelope> {
  const status = (authenticated: boolean): Frame => binaryFrame(encodeV1.authenticated(version, authenticated));
  return {
    name: `${V1_DIALECT}.${version}`,
    // [PK1-AUTH-1] every CLIENT_AUTHENTICATE is answered. [PK1-AUTH-3] refused tokens count as on
    // the JSON dialect: the third while unauthenticated closes 4001.
    inBandAuth: { isAuthenticate: (envelope) => envelope.id === V1Packet.CLIENT_AUTHENTICATE, limitsRefusals: true },

    // [PK1-ERR-1] the 1.x dialect is binary; text frames cannot be decoded.
    decode(data, isBinary): Result<V1Envelope> {
      if (!isBinary) return fail('DECODE_FAILED', 'text frames are not accepted; send binary 1.x frames');
      return decodeV1Envelope(version, data);
    },

    handle(ctx, envelope) {
      const message = validateV1Payload(envelope);
      if (message.ok) return handleMessage(ctx, message.value, status);
      if (envelope.id === V1Packet.CLIENT_AUTHENTICATE) return answerAuthenticate(ctx, message, status);
      ctx.fail(message.error);
    },

    encodeError: (error) => binaryFrame(encodeV1.error(version, error.message)),
    encodePairEvent: (event) => encodePairEvent(version, event),
  };
}

export const V1_DIALECTS: Readonly<Record<V1Version, Dialect<V1Envelope>>> = { '1.0': v1Dialect('1.0'), '1.1': v1Dialect('1.1') };
