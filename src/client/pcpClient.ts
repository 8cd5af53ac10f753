import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { codeOfWireText, type ErrorCode } from '../protocol/errors.js';
import { BROKER_URI, MessageType } from '../protocol/pcp/message.js';
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import { invalidServerUrl } from './serverUrl.js';
import {
  InvalidMessageError,
  binaryFrame,
  checkBrewerEvent,
  checkInventoryUpdate,
  decodePcpMessage,
  inventoryUris,
  type BrewerEventArgs,
  type InventoryChange,
  type PcpV2Message,
} from './inbound.js';
import { certificateCn, withTls, type ClientTlsOptions } from './tls.js';

export { InvalidMessageError, type InvalidMessageCode, type InventoryChange, type PcpV2Message } from './inbound.js';

export interface PcpClientOptions {
  /**
   * The token, sent at the upgrade. Optional only with a client certificate (`tls.cert`) the
   * server accepts instead (`--tls-ca`); given both, the server goes by the token.
   */
  token?: string;
  /** The client type: the URI is `pcp://<token sub, else certificate CN>/<type>`. Default `agent`. */
  type?: string;
  /** How the token travels at the upgrade. Default `header`. */
  tokenIn?: 'header' | 'query';
  /** Default timeout of `request` and the broker calls. */
  timeoutMs?: number;
  ws?: WebSocket.ClientOptions;
  /** For a `wss://` server: a private CA, and a client certificate with its key. */
  tls?: ClientTlsOptions;
}

/** The broker answered a request with error_message or unauthorized, or nothing came in time. */
export class PcpRequestError extends Error {
  override readonly name = 'PcpRequestError';
  constructor(
    message: string,
    /** The answering message_type, or `timeout` / `closed`. */
    readonly kind: string,
    /** UNAUTHORIZED, the code of an error_message's text, TIMEOUT or CONNECTION_CLOSED. */
    readonly code: ErrorCode = codeOfKind(kind, message),
  ) {
    super(message);
  }
}

/** The code a PcpRequestError of this kind carries when none is given. */
function codeOfKind(kind: string, message: string): ErrorCode {
  if (kind === 'timeout') return 'TIMEOUT';
  if (kind === 'closed') return 'CONNECTION_CLOSED';
  if (kind === MessageType.UNAUTHORIZED) return 'UNAUTHORIZED';
  return codeOfWireText(message) ?? 'INTERNAL';
}

/** What each refusal of the upgrade means (CONTRACT §5). */
const UPGRADE_REFUSALS: Readonly<Record<number, ErrorCode>> = { 400: 'INVALID_PAYLOAD', 401: 'UNAUTHENTICATED', 403: 'LACK_PERMISSIONS', 404: 'INVALID_PAYLOAD' };

/** The upgrade was refused with an HTTP status (401, 400, 403…). */
export class PcpConnectError extends Error {
  override readonly name = 'PcpConnectError';
  /** UNAUTHENTICATED (401), LACK_PERMISSIONS (403), INVALID_PAYLOAD (400, 404), else CONNECTION_CLOSED. */
  readonly code: ErrorCode;
  constructor(readonly status: number) {
    super(`PCP connection refused with HTTP ${status}`);
    this.code = UPGRADE_REFUSALS[status] ?? 'CONNECTION_CLOSED';
  }
}

export interface PcpClientEvents {
  /**
   * Every message whose envelope is sound, in order, whoever sent it and before its data is
   * checked: apps use PCP for their own messages. Trust `sender`, which the broker sets.
   */
  message: [PcpV2Message];
  /** A `pubkeeper/brewer_notify` from the broker (never one a peer sent), its data checked. */
  notify: [BrewerEventArgs];
  /** A `pubkeeper/brewer_removed` from the broker, its data checked. */
  removed: [BrewerEventArgs];
  /** An `inventory_update` from the broker, its data checked. */
  inventoryUpdate: [InventoryChange[]];
  /**
   * A message dropped instead of acted on: a frame that is not a PCP v2 message (no 'message'
   * event then), discovery or inventory data of the wrong shape, discovery or inventory from a
   * peer, or a reply to a pending request from someone other than its target. Never thrown.
   */
  invalid: [InvalidMessageError];
  close: [number, string];
}

/** Message types only the broker sends: from anyone else they are reported, never acted on. */
const BROKER_ONLY: ReadonlySet<string> = new Set([MessageType.PK_BREWER_NOTIFY, MessageType.PK_BREWER_REMOVED, MessageType.INVENTORY_UPDATE]);

/** The broker's answers about routing a request to a peer: they reply in the peer's stead. */
const ROUTING_ANSWERS: ReadonlySet<string> = new Set([MessageType.ERROR, MessageType.UNAUTHORIZED]);

interface Pending {
  /** Who may answer: the request's target (the broker for broker requests). */
  from: string;
  resolve: (reply: PcpV2Message) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A PCP v2 client: send to other clients, correlate replies by `in_reply_to`, and use the
 * broker's inventory and discovery services.
 */
export class PcpClient extends EventEmitter<PcpClientEvents> {
  private readonly pending = new Map<string, Pending>();
  private closedWith: { code: number; reason: string } | undefined;

  private constructor(
    readonly socket: WebSocket,
    readonly uri: string,
    private readonly timeoutMs: number,
  ) {
    super();
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.emit('invalid', binaryFrame('PCP v2', data));
      else this.onText(data.toString());
    });
    socket.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new PcpRequestError(`connection closed (${code}) before the reply to ${id}`, 'closed'));
      }
      this.pending.clear();
      this.emit('close', code, reason.toString());
    });
    socket.on('error', () => undefined);
  }

  /** `baseUrl` is the server's `ws://host:port` or `wss://host:port`; anything else rejects at once (INVALID_URL). */
  static connect(baseUrl: string, options: PcpClientOptions): Promise<PcpClient> {
    const invalid = invalidServerUrl(baseUrl);
    if (invalid) return Promise.reject(invalid);
    const type = options.type ?? 'agent';
    const url = new URL(`/pcp/v2.0/${encodeURIComponent(type)}`, baseUrl);
    const wsOptions = withTls(options.ws, options.tls);
    const { token } = options;
    const cert = options.tls?.cert;
    if (token === undefined && cert === undefined) {
      return Promise.reject(new TypeError('PcpClient.connect needs a token, or a client certificate (tls.cert) over wss'));
    }
    // Without a token the request carries no credential: the certificate presented in the
    // handshake is the identity.
    if (token !== undefined) {
      if (options.tokenIn === 'query') url.searchParams.set('token', token);
      else wsOptions.headers = { ...wsOptions.headers, authorization: `Bearer ${token}` };
    }
    const socket = new WebSocket(url, wsOptions);
    const uri = `pcp://${token !== undefined ? subjectOf(token) : certificateCn(cert ?? '')}/${type}`;
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new PcpClient(socket, uri, options.timeoutMs ?? 5000)));
      socket.once('unexpected-response', (_req, res) => {
        reject(new PcpConnectError(res.statusCode ?? 0));
        res.resume();
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  get closed(): { code: number; reason: string } | undefined {
    return this.closedWith;
  }

  /** Sends a message to another client; returns its id. */
  send(target: string, messageType: string, data?: unknown, inReplyTo?: string): string {
    const id = randomUUID();
    this.write({ id, message_type: messageType, target, ...(inReplyTo ? { in_reply_to: inReplyTo } : {}), ...(data !== undefined ? { data } : {}) });
    return id;
  }

  /**
   * Sends and resolves with the first message whose `in_reply_to` is this one's id and whose sender
   * is `target` (the broker when `target` is undefined), or the broker's error_message or
   * unauthorized about routing it. A reply claimed by anyone else is reported 'invalid', and ignored.
   */
  request(target: string | undefined, messageType: string, data?: unknown, timeoutMs = this.timeoutMs): Promise<PcpV2Message> {
    const id = randomUUID();
    const reply = new Promise<PcpV2Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PcpRequestError(`no reply to ${messageType} within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      this.pending.set(id, { from: target ?? BROKER_URI, resolve, reject, timer });
    });
    this.write({ id, message_type: messageType, ...(target ? { target } : {}), ...(data !== undefined ? { data } : {}) });
    return reply;
  }

  /** A request to the broker; error_message and unauthorized answers reject. */
  async broker(messageType: string, data?: unknown): Promise<PcpV2Message> {
    const reply = await this.request(BROKER_URI, messageType, data);
    if (reply.message_type === MessageType.ERROR) throw new PcpRequestError(String(reply.data), reply.message_type);
    if (reply.message_type === MessageType.UNAUTHORIZED) {
      throw new PcpRequestError(`unauthorized: ${messageType}`, reply.message_type);
    }
    return reply;
  }

  async associate(): Promise<boolean> {
    const reply = await this.broker(MessageType.ASSOCIATE_REQUEST);
    return (reply.data as { success?: unknown } | undefined)?.success === true;
  }

  /** Connected clients matching the patterns; with `subscribe`, 'inventoryUpdate' events follow. */
  async inventory(query: string[], options: { subscribe?: boolean } = {}): Promise<string[]> {
    const reply = await this.broker(MessageType.INVENTORY_REQUEST, { query, ...(options.subscribe ? { subscribe: true } : {}) });
    const uris = inventoryUris(reply.data);
    if (!uris) throw new PcpRequestError(`${reply.message_type} without a list of uris`, reply.message_type, 'INVALID_PAYLOAD');
    return uris;
  }

  async authenticate(token: string): Promise<void> {
    await this.broker(MessageType.PK_AUTHENTICATE, { token });
  }

  async registerBrewer(topic: string, brewer: Brewer): Promise<void> {
    await this.broker(MessageType.PK_BREWER_REGISTER, { topic, brewer });
  }

  async unregisterBrewer(topic: string, brewer: Brewer | string): Promise<void> {
    await this.broker(MessageType.PK_BREWER_UNREGISTER, { topic, brewer });
  }

  /** Resolves after the snapshot: its 'notify' events are emitted first. */
  async subscribe(topic: string): Promise<void> {
    await this.broker(MessageType.PK_SUBSCRIBE, { topic });
  }

  async unsubscribe(topic: string): Promise<void> {
    await this.broker(MessageType.PK_UNSUBSCRIBE, { topic });
  }

  /** Sends a frame as is (tests use it for input the typed methods refuse to produce). */
  sendRaw(frame: string | Buffer): void {
    this.socket.send(frame);
  }

  close(code = 1000): Promise<void> {
    if (this.closedWith) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      this.socket.close(code);
    });
  }

  private write(message: PcpV2Message): void {
    this.socket.send(JSON.stringify(message));
  }

  private onText(text: string): void {
    const message = decodePcpMessage(text);
    if (message instanceof InvalidMessageError) return void this.emit('invalid', message);
    this.emit('message', message);
    if (message.in_reply_to !== undefined && this.settleReply(message, message.in_reply_to)) return;
    if (!BROKER_ONLY.has(message.message_type)) return;
    if (message.sender !== BROKER_URI) {
      const from = message.sender ?? '(no sender)';
      return void this.emit('invalid', new InvalidMessageError('SENDER_MISMATCH', `${message.message_type} from ${from} ignored: only ${BROKER_URI} sends it`, message));
    }
    if (message.message_type === MessageType.INVENTORY_UPDATE) {
      const changes = checkInventoryUpdate(message.data, message);
      if (changes instanceof InvalidMessageError) this.emit('invalid', changes);
      else this.emit('inventoryUpdate', changes);
      return;
    }
    const event = checkBrewerEvent(message.data, message);
    if (event instanceof InvalidMessageError) this.emit('invalid', event);
    else this.emit(message.message_type === MessageType.PK_BREWER_NOTIFY ? 'notify' : 'removed', event);
  }

  /** Settles the pending request `inReplyTo` names, if any: true when the message was its reply (or a forged one). */
  private settleReply(message: PcpV2Message, inReplyTo: string): boolean {
    const pending = this.pending.get(inReplyTo);
    if (!pending) return false;
    const { sender } = message;
    if (sender !== pending.from && !(sender === BROKER_URI && ROUTING_ANSWERS.has(message.message_type))) {
      const reason = `reply to ${inReplyTo} from ${sender ?? '(no sender)'} ignored: the request went to ${pending.from}`;
      this.emit('invalid', new InvalidMessageError('SENDER_MISMATCH', reason, message));
      return true;
    }
    this.pending.delete(inReplyTo);
    clearTimeout(pending.timer);
    pending.resolve(message);
    return true;
  }
}

/** The token's `sub`, read without verification: the server decides; this only names our URI. */
function subjectOf(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : '';
  } catch {
    return '';
  }
}
