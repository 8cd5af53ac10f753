import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import { PubkeeperError } from '../../protocol/errors.js';
import { decodeV1Envelope, encodeV1, validateV1Payload } from '../../protocol/pubkeeper-v1/codec.js';
import type { V1Version } from '../../protocol/pubkeeper-v1/frame.js';
import { V1Packet, type BrewerEntry, type PatronEntry, type V1ClientMessage } from '../../protocol/pubkeeper-v1/packets.js';
import type { Connection } from '../connection.js';
import type { Hub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { PairSink } from '../patrons/patron.js';
import type { Session } from '../session.js';
import { unexpectedError } from '../unexpected.js';

export const V1_DIALECT = 'pubkeeper-v1';

/**
 * A /ws session speaking the 1.x binary dialect (CONTRACT §4b) that the original clients speak:
 * brewers and patrons with brews. Frames are handled one at a time, in order, synchronously.
 */
export class V1Session implements PairSink {
  readonly session: Session;

  constructor(
    readonly hub: Hub,
    readonly version: V1Version,
    conn: Connection,
    log: Logger,
  ) {
    this.session = hub.createSession(`${V1_DIALECT}.${version}`, conn, log);
    this.session.pairSink = this;
    // [PK1-AUTH-2] as on the JSON dialect: no successful CLIENT_AUTHENTICATE in time closes 4001.
    this.session.setTimer(hub.options.authTimeoutMs, () => {
      if (this.session.identity) return;
      this.session.log.warn('not authenticated in time, closing');
      this.session.close(CloseCode.AUTH_TIMEOUT, CloseReason.AUTH_TIMEOUT);
    });
  }

  onBinary(bytes: Uint8Array): void {
    if (this.session.closed) return;
    try {
      const envelope = decodeV1Envelope(this.version, bytes);
      if (!envelope.ok) return this.error(envelope.error);
      if (envelope.value.id !== V1Packet.CLIENT_AUTHENTICATE && !this.session.identity) {
        return this.error(new PubkeeperError('UNAUTHENTICATED'));
      }
      const message = validateV1Payload(envelope.value);
      if (!message.ok) {
        if (envelope.value.id === V1Packet.CLIENT_AUTHENTICATE) return this.authenticated(message.error);
        return this.error(message.error);
      }
      this.dispatch(message.value);
    } catch (err) {
      this.error(unexpectedError(err, this.session.log));
    }
  }

  /** [PK1-ERR-1] the 1.x dialect is binary; text frames cannot be decoded. */
  onText(): void {
    if (this.session.closed) return;
    this.error(new PubkeeperError('DECODE_FAILED', 'text frames are not accepted; send binary 1.x frames'));
  }

  private dispatch(message: V1ClientMessage): void {
    const { hub, session } = this;
    switch (message.id) {
      case V1Packet.CLIENT_AUTHENTICATE: {
        const result = hub.authenticate(session, message.payload.token);
        return this.authenticated(result.ok ? undefined : result.error);
      }
      case V1Packet.BREWS_REGISTER:
        // [PK1-BREWS-1] accepted; pairs are made from each registration's own brews.
        return;
      case V1Packet.BREWER_REGISTER: {
        const { topic, brewer_id: brewerId, brewer_config: brewerConfig, brews } = message.payload;
        // [PK1-MAP-1] a 1.x brewer is stored as {uuid, brewer_config, brews} for every dialect.
        const result = hub.discovery.registerBrewer(session, topic, { uuid: brewerId, brewer_config: brewerConfig, brews });
        if (!result.ok) this.error(result.error);
        return;
      }
      case V1Packet.BREWER_UNREGISTER: {
        const { topic, brewer_id: brewerId } = message.payload;
        // [PK1-UNREG-1] an unknown brewer is harmless; another client's is refused.
        const registration = hub.discovery.registry.get(topic, brewerId);
        if (!registration) return;
        const result = hub.discovery.unregisterBrewer(session, topic, brewerId);
        if (!result.ok) this.error(result.error);
        return;
      }
      case V1Packet.PATRON_REGISTER: {
        const { topic, patron_id: patronId, brews } = message.payload;
        const result = hub.discovery.patrons.registerPatron(session, topic, patronId, brews);
        if (!result.ok) this.error(result.error);
        return;
      }
      case V1Packet.PATRON_UNREGISTER:
        return hub.discovery.patrons.unregisterPatron(session, message.payload.topic, message.payload.patron_id);
      case V1Packet.ERROR:
        // [PK1-ERR-2] logged, never answered (an ERROR answering an ERROR could loop).
        session.log.debug({ message: message.payload.message }, 'client reported an error');
        return;
    }
  }

  /** [PK1-AUTH-1] every CLIENT_AUTHENTICATE is answered; a refusal never closes by itself. */
  private authenticated(error: PubkeeperError | undefined): void {
    if (error) this.error(error);
    else this.session.log.debug('authenticated');
    this.session.send(encodeV1.authenticated(this.version, this.session.identity !== undefined));
  }

  private error(error: PubkeeperError): void {
    this.session.log.debug({ code: error.code }, 'error sent');
    if (!this.session.countError(error.code)) return;
    this.session.send(encodeV1.error(this.version, error.message));
  }

  brewerNotify(patronId: string, brewers: BrewerEntry[]): void {
    this.hub.discovery.stats.notificationsSent += brewers.length;
    for (const frame of encodeV1.brewerNotify(this.version, patronId, brewers)) this.session.send(frame);
  }

  brewerRemoved(topic: string, patronId: string, brewerId: string): void {
    this.hub.discovery.stats.notificationsSent++;
    this.session.send(encodeV1.brewerRemoved(this.version, topic, patronId, brewerId));
  }

  patronNotify(brewerId: string, patrons: PatronEntry[]): void {
    this.hub.discovery.stats.notificationsSent += patrons.length;
    for (const frame of encodeV1.patronNotify(this.version, brewerId, patrons)) this.session.send(frame);
  }

  patronRemoved(topic: string, brewerId: string, patronId: string): void {
    this.hub.discovery.stats.notificationsSent++;
    this.session.send(encodeV1.patronRemoved(this.version, topic, brewerId, patronId));
  }
}
