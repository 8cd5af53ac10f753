import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../../config/schema.js';
import { refusalReason, type AuthRefusal } from '../../core/auth/refusal.js';
import type { Identity } from '../../core/auth/verifyToken.js';
import type { Frame } from '../../core/connection.js';
import type { Logger } from '../../core/logger.js';
import { WindowBudget } from '../../core/sessions/windowBudget.js';
import { CloseCode, CloseReason } from '../../protocol/closeCodes.js';
import type { Result } from '../../protocol/errors.js';
import { decodeRelayFrame, RelayFrameType, selectRelaySubprotocol, type RelayFrame } from '../../protocol/relay/codec.js';
import { parseTopic } from '../../protocol/topic.js';
import { compilePattern } from '../../protocol/topicPattern.js';
import { ConnectionGuard } from '../edge/connectionGuard.js';
import { closeHttp, listen } from '../edge/listen.js';
import { createListener, type Listener } from '../edge/listener.js';
import { OpenSockets } from '../edge/openSockets.js';
import { OutputCoalescer } from '../edge/outputCoalescer.js';
import { bearerToken, destroyOnError, handOver, pathOf, refuseUpgrade, toBuffer, type UpgradeRefusalReason } from '../edge/upgrade.js';
import { preFramedBinary } from '../edge/wsFrame.js';
import { createWsServer } from '../edge/wsServer.js';
import { Liveness } from '../liveness.js';
import type { TlsListenerOptions } from '../tls/tlsSettings.js';
import { WsConnection } from '../wsConnection.js';

/** What the relay asks the server: who a token is, and which topic a hash stands for. */
export interface RelayAuthority {
  verify(token: unknown): Result<Identity>;
  /** Reports a refused token (logged and counted with every other refused authentication). */
  refused(refusal: AuthRefusal): void;
  /** The registered topic whose SHA-256 (lowercase hex) is `key`. */
  topicOf(key: string): string | undefined;
}

export interface BrewRelayOptions {
  config: Config;
  logger: Logger;
  /** Without one, only `relayAllowAnonymous` lets anybody in. */
  authority?: RelayAuthority;
  /** Counts an upgrade answered with an HTTP error (`pubkeeper_upgrades_refused_total`). */
  upgradeRefused?: (reason: UpgradeRefusalReason) => void;
  /** Serve wss (with the main port's certificate) instead of ws. */
  tls?: TlsListenerOptions;
}

export interface BrewRelayStats {
  /** Open connections, not counting those being closed. */
  connections: number;
  /** Topic hashes with at least one joined connection. */
  topics: number;
  /** Topic hashes with a remembered last value. */
  lastValues: number;
}

// Not in CloseReason: only the relay closes for too many topics (the discovery dialects answer an
// ERROR and keep the session).
const LIMIT_EXCEEDED = 'Limit exceeded.';

/** `Sec-WebSocket-Protocol: a, b` → ['a', 'b'] (ws re-parses it strictly in handleUpgrade). */
function offeredSubprotocols(header: string | undefined): string[] {
  return (header ?? '').split(',').map((value) => value.trim()).filter((value) => value !== '');
}

/** One relay connection: who it is, the topics it joined and its budget of refused frames. */
class RelayPeer {
  readonly topics = new Set<string>();
  closed = false;
  /** When it last sent a frame, for the idle sweep. */
  lastActive = Date.now();

  constructor(
    readonly conn: WsConnection,
    readonly log: Logger,
    readonly errors: WindowBudget,
    /** Undefined on an anonymous relay (`relayAllowAnonymous`): everything is allowed. */
    readonly identity: Identity | undefined,
  ) {}
}

/**
 * The websocket-brew relay (protocol/relay.md): its own HTTP server, one WebSocket endpoint at
 * `/`, pools of connections keyed by topic hash, and the last value of each topic for late
 * joiners. It knows nothing of discovery: brewers advertise `{name: 'websocket', hostname, port,
 * secure}` pointing here, and patrons connect here from the BREWER_NOTIFY entry.
 */
export class BrewRelay {
  private readonly http: Listener;
  private readonly wss: WebSocketServer;
  private readonly liveness: Liveness;
  private readonly peers = new Set<RelayPeer>();
  private readonly sockets = new OpenSockets();
  private readonly output = new OutputCoalescer();
  /** topic hash (hex) → joined connections; deleted when it empties. */
  private readonly pools = new Map<string, Set<RelayPeer>>();
  /** topic hash (hex) → last payload, as a frame. A Map keeps insertion order: the first key is the oldest. */
  private readonly lastValues = new Map<string, Frame>();
  private lastValueBytes = 0;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private readonly idleSweep: NodeJS.Timeout;
  /** The connection caps and handshake timeout, as on the main port (CONTRACT §6b). */
  readonly connections: ConnectionGuard;

  constructor(private readonly options: BrewRelayOptions) {
    const { config } = options;
    this.liveness = new Liveness(config.pingIntervalMs, config.maxMissedPongs);
    // [RELAY-7] ws closes 1009 by itself past maxPayload. Text frames are counted as undecodable
    // ([RELAY-10]) rather than closed 1007 by ws.
    this.wss = createWsServer({
      maxPayload: config.relayMaxFrameBytes,
      handleProtocols: (offered) => selectRelaySubprotocol(offered) ?? false,
    });
    this.http = createListener(
      (req, res) => {
        const path = pathOf(req.url);
        const headers = { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' };
        if (path !== '/') return void res.writeHead(404, headers).end('Not Found\n');
        res.writeHead(426, { ...headers, Upgrade: 'websocket' }).end('WebSocket upgrade required\n');
      },
      options.tls,
      options.logger,
    );
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
    this.connections = new ConnectionGuard(this.http, config);
    this.idleSweep = setInterval(() => this.closeIdle(), Math.max(50, config.relayIdleTimeoutMs / 4));
    this.idleSweep.unref();
  }

  /** Listens on `config.host`:`config.relayPort`; throws when relayPort is not set. */
  async listen(): Promise<AddressInfo> {
    const { host, relayPort } = this.options.config;
    if (relayPort === undefined) throw new Error('relayPort is not set: the relay is off.');
    return listen(this.http, relayPort, host);
  }

  /** The bound address; only meaningful after listen() resolved. */
  address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  stats(): BrewRelayStats {
    return { connections: this.peers.size, topics: this.pools.size, lastValues: this.lastValues.size };
  }

  /** Idempotent: refuses new upgrades, closes every connection 1001, then the HTTP server. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.liveness.stop();
    clearInterval(this.idleSweep);
    // [RELAY-11]
    for (const peer of [...this.peers]) this.closePeer(peer, CloseCode.GOING_AWAY, CloseReason.GOING_AWAY);
    await this.sockets.closed(this.options.config.drainTimeoutMs);
    this.sockets.terminateAll();
    await closeHttp(this.http);
    this.lastValues.clear();
    this.lastValueBytes = 0;
  }

  /** [RELAY-1] `GET /` with an acceptable subprotocol, or an HTTP refusal. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const refused = this.options.upgradeRefused;
    if (this.closing) {
      refused?.('draining');
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    if (pathOf(req.url) !== '/') {
      refused?.('not_found');
      return refuseUpgrade(socket, 404, 'Not Found');
    }
    const offered = offeredSubprotocols(req.headers['sec-websocket-protocol']);
    if (selectRelaySubprotocol(offered) === undefined) {
      refused?.('bad_subprotocol');
      return refuseUpgrade(socket, 400, 'Bad Request', 'no acceptable subprotocol: offer pubkeeper-1.0.0\n');
    }
    // [RELAY-12] a token unless the relay is open (`--relay-allow-anonymous`).
    let identity: Identity | undefined;
    if (!this.options.config.relayAllowAnonymous) {
      const token = bearerToken(req);
      const verified = token === undefined || !this.options.authority ? undefined : this.options.authority.verify(token);
      if (!verified?.ok) {
        const reason = token === undefined ? 'missing token' : (verified?.error.detail ?? 'token refused');
        const remoteAddress = req.socket.remoteAddress;
        const refusal = { surface: 'relay' as const, reason: token === undefined ? ('missing' as const) : refusalReason(verified?.error.detail), remoteAddress };
        if (this.options.authority) this.options.authority.refused(refusal);
        else this.options.logger.info(refusal, 'authentication refused');
        refused?.('unauthorized');
        return refuseUpgrade(socket, 401, 'Unauthorized', `${reason}\n`);
      }
      identity = verified.value;
    }
    handOver(this.wss, req, socket, head, this.badHandshake, (ws) => this.attach(ws, socket, identity));
  }

  /** ws refused the handshake itself (400/405): counted with our refusals. One function for every upgrade. */
  private readonly badHandshake = (): void => this.options.upgradeRefused?.('bad_handshake');

  private attach(ws: WebSocket, socket: Duplex, identity: Identity | undefined): void {
    const log = this.options.logger.child({ session: `relay-${this.nextId++}`, dialect: 'relay', ...(identity ? { sub: identity.sub } : {}) });
    const peer = new RelayPeer(new WsConnection(ws, socket, this.output), log, new WindowBudget(this.options.config.maxErrorsPer10s), identity);
    this.peers.add(peer);
    this.sockets.add(ws);
    this.liveness.watch(ws);
    log.debug({ subprotocol: ws.protocol }, 'relay connection opened');
    if (this.closing) this.closePeer(peer, CloseCode.GOING_AWAY, CloseReason.GOING_AWAY);
    ws.on('message', (data, isBinary) => {
      // Never let one connection's input take the process (or another connection) down.
      try {
        this.onMessage(peer, toBuffer(data), isBinary);
      } catch (err) {
        log.error({ err }, 'relay frame handling failed');
        this.closePeer(peer, CloseCode.INTERNAL, CloseReason.INTERNAL);
      }
    });
    // ws reports 1009 (too big) and protocol errors here, then closes; 'close' cleans up.
    ws.on('error', (err) => log.debug({ err: err.message }, 'socket error'));
    ws.on('close', (code) => {
      this.sockets.delete(ws);
      this.liveness.forget(ws);
      this.detach(peer);
      this.peers.delete(peer);
      log.debug({ code }, 'relay connection closed');
    });
  }

  private onMessage(peer: RelayPeer, bytes: Buffer, isBinary: boolean): void {
    if (peer.closed) return;
    peer.lastActive = Date.now();
    if (!isBinary) return this.undecodable(peer, 'text frame');
    const decoded = decodeRelayFrame(bytes);
    if (!decoded.ok) return this.undecodable(peer, decoded.error.detail ?? 'undecodable');
    const frame = decoded.value;
    switch (frame.type) {
      case RelayFrameType.JOIN:
        return this.join(peer, frame.topicKey);
      case RelayFrameType.LEAVE:
        return this.leave(peer, frame.topicKey);
      case RelayFrameType.PUBLISH:
        return this.publish(peer, frame);
    }
  }

  /**
   * [RELAY-10] The Python relay logs unknown frames and carries on. We do too (the frame is dropped,
   * nothing is answered: the brew has no error frame), but count them, so that a peer sending
   * garbage in a loop is cut (1008 "Too many errors.") instead of costing a log line per frame.
   */
  private undecodable(peer: RelayPeer, why: string): void {
    peer.log.debug({ why }, 'relay frame dropped');
    if (peer.errors.spend()) {
      peer.log.warn('too many dropped relay frames, closing');
      this.closePeer(peer, CloseCode.POLICY, CloseReason.ERROR_FLOOD);
    }
  }

  /**
   * [RELAY-13] On an authenticated relay, a JOIN needs a subscribe right covering the topic and a
   * PUBLISH a brew right on it; the topic is the registered one with that hash. A frame for a
   * topic that is not registered or not allowed is dropped and counted like an undecodable one:
   * the connection serves other topics, and the brew has no error frame to answer with.
   */
  private allowed(peer: RelayPeer, key: string, action: 'join' | 'publish'): boolean {
    const { identity } = peer;
    if (!identity) return true;
    const topic = this.options.authority?.topicOf(key);
    const segments = topic === undefined ? undefined : parseTopic(topic, { wildcards: false });
    const ok =
      topic !== undefined &&
      segments?.ok === true &&
      (action === 'publish' ? identity.grants.canBrew(segments.value) : identity.grants.canSubscribe(compilePattern(topic, segments.value)));
    if (!ok) this.undecodable(peer, topic === undefined ? `${action} of an unregistered topic` : `${action} of ${topic} without the right`);
    return ok;
  }

  /** [RELAY-14] A connection that holds no topic and sends nothing for `relayIdleTimeoutMs` is closed. */
  private closeIdle(): void {
    const before = Date.now() - this.options.config.relayIdleTimeoutMs;
    for (const peer of [...this.peers]) {
      if (peer.topics.size > 0 || peer.lastActive > before) continue;
      peer.log.debug('idle relay connection, closing');
      this.closePeer(peer, CloseCode.NORMAL, CloseReason.IDLE);
    }
  }

  /** [RELAY-3] Joins the pool, then sends the topic's last value, if any, to the joiner. */
  private join(peer: RelayPeer, key: string): void {
    if (peer.topics.has(key)) return; // the JS brew never repeats a JOIN; a repeat must not repeat the last value
    if (!this.allowed(peer, key, 'join')) return;
    if (peer.topics.size >= this.options.config.relayMaxTopicsPerConnection) {
      // [RELAY-8]
      peer.log.warn({ topics: peer.topics.size }, 'too many relay topics, closing');
      return this.closePeer(peer, CloseCode.POLICY, LIMIT_EXCEEDED);
    }
    peer.topics.add(key);
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = new Set()));
    pool.add(peer);
    const last = this.lastValues.get(key);
    if (last) this.deliver(peer, last);
  }

  /** [RELAY-4] */
  private leave(peer: RelayPeer, key: string): void {
    if (!peer.topics.delete(key)) return;
    this.removeFromPool(peer, key);
  }

  /**
   * [RELAY-5] Remembers the payload and forwards it, without the relay header, to every joined
   * connection but the publisher. The payload is copied once, straight into its WebSocket frame
   * (so the last value does not pin ws's receive buffer, and is held once), and that one buffer
   * goes to every receiver.
   */
  private publish(peer: RelayPeer, frame: RelayFrame): void {
    if (!this.allowed(peer, frame.topicKey, 'publish')) return;
    const payload = preFramedBinary(frame.payload);
    this.remember(frame.topicKey, payload);
    const pool = this.pools.get(frame.topicKey);
    if (!pool) return;
    // deliver() may close a receiver, which deletes it from this Set: safe during for…of.
    for (const receiver of pool) if (receiver !== peer) this.deliver(receiver, payload);
  }

  /** [RELAY-6] A bounded map in publish order: re-publishing moves a topic to the young end. */
  private remember(key: string, payload: Frame): void {
    this.forget(key);
    this.lastValues.set(key, payload);
    this.lastValueBytes += payload.data.length;
    // Bounded by count and by bytes: a count alone lets big payloads exhaust memory (the relay
    // needs no token, so anyone who reaches it could).
    const { relayMaxLastValues, relayMaxLastValueBytes } = this.options.config;
    while (this.lastValues.size > relayMaxLastValues || this.lastValueBytes > relayMaxLastValueBytes) {
      const oldest = this.lastValues.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
  }

  private forget(key: string): void {
    const value = this.lastValues.get(key);
    if (value === undefined) return;
    this.lastValues.delete(key);
    this.lastValueBytes -= value.data.length;
  }

  /** [RELAY-9] Like the discovery sessions: past the cap, the frame is not sent and the peer is cut. */
  private deliver(peer: RelayPeer, payload: Frame): void {
    if (peer.closed) return;
    const unsent = peer.conn.bufferedAmount;
    if (unsent > this.options.config.relayMaxUnsentBytes) {
      peer.log.warn({ bufferedAmount: unsent }, 'slow relay consumer, closing');
      return this.closePeer(peer, CloseCode.POLICY, CloseReason.SLOW_CONSUMER);
    }
    peer.conn.send(payload);
  }

  /** Idempotent. Leaves the pools at once, so nothing more is queued behind the close frame. */
  private closePeer(peer: RelayPeer, code: number, reason: string): void {
    if (peer.closed) return;
    peer.closed = true;
    this.detach(peer);
    this.peers.delete(peer);
    peer.conn.close(code, reason);
  }

  /** [RELAY-6] Out of every pool; a pool left empty is deleted (its last value stays). */
  private detach(peer: RelayPeer): void {
    for (const key of peer.topics) this.removeFromPool(peer, key);
    peer.topics.clear();
  }

  private removeFromPool(peer: RelayPeer, key: string): void {
    const pool = this.pools.get(key);
    if (!pool) return;
    pool.delete(peer);
    if (pool.size === 0) this.pools.delete(key);
  }
}
