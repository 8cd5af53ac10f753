import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import { PubkeeperError } from '../../protocol/errors.js';
import {
  decodeEnvelope,
  encodeError,
  encodeServerFrame,
  validatePayload,
  type ClientMessage,
} from '../../protocol/pubkeeper/codec.js';
import { Packet } from '../../protocol/pubkeeper/packets.js';
import type { BrewerEvent } from '../brewerEvent.js';
import type { Connection } from '../connection.js';
import type { Hub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { Session } from '../session.js';
import { unexpectedError } from '../unexpected.js';
import type { JsonContext } from './context.js';
import { authenticate, rejectAuthenticate } from './handlers/authenticate.js';
import { brewerRegister } from './handlers/brewerRegister.js';
import { brewerUnregister } from './handlers/brewerUnregister.js';
import { subscribe } from './handlers/subscribe.js';
import { unsubscribe } from './handlers/unsubscribe.js';

export const JSON_DIALECT = 'pubkeeper-json';

/** The JSON dialect's encoding of a brewer event, built once per event for all subscribers. */
function encodeBrewerEvent(event: BrewerEvent): string {
  const id = event.kind === 'notify' ? Packet.BREWER_NOTIFY : Packet.BREWER_REMOVED;
  return encodeServerFrame(id, { topic: event.topic, brewer: event.brewer });
}

/**
 * A /ws session speaking the JSON dialect (CONTRACT §4). Frames are handled one at a time, in
 * order, synchronously; nothing here awaits, so answers keep the order of the requests.
 */
export class JsonSession implements JsonContext {
  readonly session: Session;
  private authFailures = 0;

  constructor(
    readonly hub: Hub,
    conn: Connection,
    log: Logger,
  ) {
    this.session = hub.createSession(JSON_DIALECT, conn, log);
    this.session.deliver = (event) => this.session.send(event.frame(JSON_DIALECT, encodeBrewerEvent));
    // [PK-AUTH-3] no success within the auth timeout: close 4001.
    this.session.setTimer(hub.options.authTimeoutMs, () => {
      if (this.session.identity) return;
      this.session.log.warn('not authenticated in time, closing');
      this.session.close(CloseCode.AUTH_TIMEOUT, CloseReason.AUTH_TIMEOUT);
    });
  }

  onText(text: string): void {
    if (this.session.closed) return;
    try {
      const envelope = decodeEnvelope(text);
      if (!envelope.ok) return this.error(envelope.error);
      // [PK-AUTH-1] before a successful AUTHENTICATE every other packet is refused, whatever it holds.
      if (envelope.value.id !== Packet.AUTHENTICATE && !this.session.identity) {
        return this.error(new PubkeeperError('UNAUTHENTICATED'));
      }
      const message = validatePayload(envelope.value);
      if (!message.ok) {
        if (envelope.value.id === Packet.AUTHENTICATE) return rejectAuthenticate(this, message.error);
        return this.error(message.error);
      }
      this.dispatch(message.value);
    } catch (err) {
      // A bug (or a stack-deep payload) costs this one packet, never the process or another session.
      this.error(unexpectedError(err, this.session.log));
    }
  }

  /** [PK-WIRE-2] binary frames are not part of the JSON dialect. */
  onBinary(): void {
    this.onUndecodable('binary frames are not accepted; send JSON text');
  }

  /** [PK-WIRE-1] [PK-WIRE-2] a frame the server cannot read as text. */
  onUndecodable(detail: string): void {
    if (this.session.closed) return;
    this.error(new PubkeeperError('DECODE_FAILED', detail));
  }

  error(error: PubkeeperError): void {
    this.session.log.debug({ code: error.code }, 'error sent');
    if (!this.session.countError(error.code)) return;
    this.session.send(encodeError(error.message));
  }

  /** [PK-AUTH-3] three refusals while unauthenticated close 4001. */
  authFailed(): void {
    if (++this.authFailures < this.hub.options.maxAuthFailures) return;
    this.session.log.warn({ failures: this.authFailures }, 'too many failed authentications, closing');
    this.session.close(CloseCode.AUTH_TIMEOUT, CloseReason.AUTH_REFUSED);
  }

  private dispatch(message: ClientMessage): void {
    switch (message.id) {
      case Packet.AUTHENTICATE:
        return authenticate(this, message.payload);
      case Packet.BREWER_REGISTER:
        return brewerRegister(this, message.payload);
      case Packet.BREWER_UNREGISTER:
        return brewerUnregister(this, message.payload);
      case Packet.SUBSCRIBE:
        return subscribe(this, message.payload);
      case Packet.UNSUBSCRIBE:
        return unsubscribe(this, message.payload);
    }
  }
}
