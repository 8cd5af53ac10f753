import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { codeOfWireText, type ErrorCode } from '../protocol/errors.js';
import { JSON_SUBPROTOCOL, Packet } from '../protocol/pubkeeper/packets.js';
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import { invalidServerUrl } from './serverUrl.js';
import { InvalidMessageError, binaryFrame, checkServerFrame, decodeServerEnvelope, type BrewerEventArgs } from './inbound.js';
import { withTls, type ClientTlsOptions } from './tls.js';

export { InvalidMessageError, type BrewerEventArgs, type InvalidMessageCode } from './inbound.js';

/** An ERROR the server answered to one of this client's requests, or the session's end first. */
export class PubkeeperRequestError extends Error {
  override readonly name = 'PubkeeperRequestError';
  /** The code of the first ERROR's text, or CONNECTION_CLOSED. */
  readonly code: ErrorCode;
  constructor(
    readonly messages: string[],
    code?: ErrorCode,
  ) {
    super(messages.join('; '));
    this.code = code ?? codeOfWireText(messages[0] ?? '') ?? 'INTERNAL';
  }
}

export interface ClientEvents {
  /** A BREWER_NOTIFY, its payload checked. */
  notify: [BrewerEventArgs];
  /** A BREWER_REMOVED, its payload checked. */
  removed: [BrewerEventArgs];
  /** An ERROR no pending request claimed. */
  serverError: [string];
  /** Every `[packet, payload]` frame (integer packet, object payload), in order, before its payload is checked. */
  frame: [[number, Record<string, unknown>]];
  /**
   * A frame dropped instead of acted on: binary, not JSON, not `[packet, object]` (no 'frame'
   * event then), a packet the server never sends, or a payload of the wrong shape. Never thrown.
   */
  invalid: [InvalidMessageError];
  close: [number, string];
}

export interface ConnectOptions {
  /** Offer `pubkeeper.n.io` (default true). */
  legacySubprotocol?: boolean;
  /** Extra `ws` options (headers, handshake timeout). */
  ws?: WebSocket.ClientOptions;
  /** For a `wss://` server with a private CA. (/ws authenticates by token only.) */
  tls?: ClientTlsOptions;
}

interface Pending {
  errors: string[];
  settle: (errors: string[], authenticated: boolean, code?: ErrorCode) => void;
}

/**
 * A client for the /ws JSON dialect. The dialect has no acknowledgements, but the server answers
 * a session's packets in order and answers every AUTHENTICATE; so each request is followed by an
 * AUTHENTICATE with the current token, whose AUTHENTICATED marks the request done, and any ERROR
 * that arrived before it belongs to the request.
 */
export class PubkeeperClient extends EventEmitter<ClientEvents> {
  private token: string | undefined;
  private readonly pending: Pending[] = [];
  private closedInfo: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    super();
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.emit('invalid', binaryFrame('the /ws JSON dialect', data));
      else this.onFrame(data.toString());
    });
    socket.on('close', (code, reason) => {
      this.closedInfo = { code, reason: reason.toString() };
      for (const p of this.pending.splice(0)) p.settle([`connection closed (${code})`], false, 'CONNECTION_CLOSED');
      this.emit('close', code, reason.toString());
    });
    // Errors surface as 'close'; without a listener ws would throw.
    socket.on('error', () => undefined);
  }

  /** Rejects at once with a PubkeeperError INVALID_URL for a URL that is not ws:// or wss://. */
  static connect(url: string, options: ConnectOptions = {}): Promise<PubkeeperClient> {
    const invalid = invalidServerUrl(url);
    if (invalid) return Promise.reject(invalid);
    const protocols = options.legacySubprotocol === false ? [] : [JSON_SUBPROTOCOL];
    const socket = new WebSocket(url, protocols, withTls(options.ws, options.tls));
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new PubkeeperClient(socket)));
      socket.once('error', reject);
    });
  }

  get closed(): { code: number; reason: string } | undefined {
    return this.closedInfo;
  }

  /** Resolves with the server's `authenticated`; rejects with the ERROR text if the token was refused. */
  async authenticate(token: string): Promise<boolean> {
    const result = await this.request(Packet.AUTHENTICATE, { token }, false);
    this.token = token;
    return result;
  }

  async registerBrewer(topic: string, brewer: Brewer): Promise<void> {
    await this.request(Packet.BREWER_REGISTER, { topic, brewer });
  }

  async unregisterBrewer(topic: string, brewer: Brewer | string): Promise<void> {
    await this.request(Packet.BREWER_UNREGISTER, { topic, brewer });
  }

  /** Resolves once the snapshot's notifications have arrived (they are emitted before). */
  async subscribe(topic: string): Promise<void> {
    await this.request(Packet.SUBSCRIBE, { topic });
  }

  async unsubscribe(topic: string): Promise<void> {
    await this.request(Packet.UNSUBSCRIBE, { topic });
  }

  /** Waits until the server has processed everything sent before. */
  async sync(): Promise<void> {
    await this.barrier();
  }

  /** Sends a frame as is (tests use it for input the typed methods refuse to produce). */
  sendRaw(frame: string | Buffer): void {
    this.socket.send(frame);
  }

  send(packet: number, payload: object): void {
    this.socket.send(JSON.stringify([packet, payload]));
  }

  close(code = 1000): Promise<void> {
    if (this.closedInfo) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      this.socket.close(code);
    });
  }

  private async request(packet: number, payload: object, needsBarrier = true): Promise<boolean> {
    if (!needsBarrier) {
      // AUTHENTICATE is its own barrier.
      const done = this.expectAuthenticated();
      this.send(packet, payload);
      return done;
    }
    this.send(packet, payload);
    return this.barrier();
  }

  private barrier(): Promise<boolean> {
    if (this.token === undefined) throw new Error('authenticate first');
    const done = this.expectAuthenticated();
    this.send(Packet.AUTHENTICATE, { token: this.token });
    return done;
  }

  private expectAuthenticated(): Promise<boolean> {
    if (this.closedInfo) return Promise.reject(new PubkeeperRequestError([`connection closed (${this.closedInfo.code})`], 'CONNECTION_CLOSED'));
    return new Promise((resolve, reject) => {
      this.pending.push({
        errors: [],
        settle: (errors, authenticated, code) =>
          errors.length > 0 ? reject(new PubkeeperRequestError(errors, code)) : resolve(authenticated),
      });
    });
  }

  private onFrame(text: string): void {
    const envelope = decodeServerEnvelope(text);
    if (envelope instanceof InvalidMessageError) return void this.emit('invalid', envelope);
    this.emit('frame', envelope);
    const frame = checkServerFrame(envelope);
    if (frame instanceof InvalidMessageError) return void this.emit('invalid', frame);
    switch (frame.packet) {
      case Packet.AUTHENTICATED: {
        const head = this.pending.shift();
        head?.settle(head.errors, frame.authenticated);
        return;
      }
      case Packet.ERROR: {
        const head = this.pending[0];
        if (head) head.errors.push(frame.message);
        else this.emit('serverError', frame.message);
        return;
      }
      case Packet.BREWER_NOTIFY:
        this.emit('notify', frame.event);
        return;
      case Packet.BREWER_REMOVED:
        this.emit('removed', frame.event);
        return;
    }
  }
}
