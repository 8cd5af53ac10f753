import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config/schema.js';
import type { Keyring } from '../core/auth/verifyToken.js';
import type { Dialect } from '../core/dialects/dialect.js';
import { jsonDialect } from '../core/dialects/json/jsonDialect.js';
import { V1_DIALECTS } from '../core/dialects/v1/v1Dialect.js';
import { Hub, type InboundFrames } from '../core/hub.js';
import type { Logger } from '../core/logger.js';
import { CloseCode, CloseReason } from '../protocol/closeCodes.js';
import { V1_SUBPROTOCOLS, v1VersionOf } from '../protocol/pubkeeper-v1/packets.js';
import { JSON_SUBPROTOCOL } from '../protocol/pubkeeper/packets.js';
import { ConnectionGuard } from './edge/connectionGuard.js';
import { closeHttp, listen } from './edge/listen.js';
import { createListener, type Listener } from './edge/listener.js';
import { OpenSockets } from './edge/openSockets.js';
import { OutputCoalescer } from './edge/outputCoalescer.js';
import { destroyOnError, handOver, pathOf, refuseUpgrade, toBuffer } from './edge/upgrade.js';
import { createWsServer } from './edge/wsServer.js';
import { AdminPlane } from './admin/adminPlane.js';
import { followSessionsAndAuth } from './auditLog.js';
import { RedisRegistryEngine } from './cluster/redisEngine.js';
import { handleHttp } from './httpRoutes.js';
import { Liveness } from './liveness.js';
import { Metrics } from './metrics.js';
import { checkPcpUpgrade, isPcpPath, type PcpRefusal, type PcpUpgrade } from './pcpUpgrade.js';
import { BrewRelay } from './relay/brewRelay.js';
import type { CertRights } from './tls/certRights.js';
import { loadTls, type TlsSettings } from './tls/tlsSettings.js';
import { TopicHashes } from './relay/topicHashes.js';
import { WsConnection } from './wsConnection.js';

// The 1.x binary dialect first (1.1 before 1.0), then the JSON dialect's own.
const WS_SUBPROTOCOLS: readonly string[] = [...V1_SUBPROTOCOLS, JSON_SUBPROTOCOL];

export interface ServerOptions {
  config: Config;
  logger: Logger;
  keyring: Keyring;
  /** Log lines the logger's destination dropped so far, for `pubkeeper_log_lines_dropped_total`. */
  logDrops?: () => number;
  /** The TLS files, already read (`startServer` reads them first); else read here from the config. */
  tls?: TlsSettings;
}

/** What ws calls on a socket's events, `this` being the socket: one set for every socket. */
interface SocketListeners {
  message(this: WebSocket, data: RawData, isBinary: boolean): void;
  error(this: WebSocket, err: Error): void;
  close(this: WebSocket, code: number, reason: Buffer): void;
}

/**
 * The one HTTP server: routes upgrades to the WebSocket dialects, serves /healthz and /metrics,
 * keeps sockets alive with pings, and drains on shutdown. Every session, whatever its dialect, is
 * wired to its socket the same way (`attach`).
 */
export class PubkeeperServer {
  readonly hub: Hub;
  readonly metrics: Metrics;
  private readonly http: Listener;
  /** With client certificates on (`--tls-ca`): the rights of each certificate's CN. */
  private readonly certRights: CertRights | undefined;
  /** True when every surface is served over TLS (`--tls-cert`, `--tls-key`). */
  readonly secure: boolean;
  private readonly wss: WebSocketServer;
  private readonly pcpWss: WebSocketServer;
  private readonly liveness: Liveness;
  private readonly sockets = new OpenSockets();
  /** Every session's output, coalesced per event-loop turn. */
  private readonly output = new OutputCoalescer();
  /** Each open socket's session driver: the socket listeners are shared functions that look it up. */
  private readonly bound = new Map<WebSocket, InboundFrames>();
  private readonly listeners: SocketListeners;
  private draining: Promise<void> | undefined;
  /** The websocket brew relay, on its own port, when `relayPort` is set. */
  readonly relay: BrewRelay | undefined;
  /** Commands, the read API, the event feed and the dashboard (CONTRACT §8). */
  readonly admin: AdminPlane;
  /** The connection caps and handshake timeout of CONTRACT §6b. */
  readonly connections: ConnectionGuard;
  /** The shared registry engine, when this node is part of a cluster (`--cluster`). */
  readonly cluster: RedisRegistryEngine | undefined;

  constructor(private readonly options: ServerOptions) {
    const { config, logger } = options;
    const tls = options.tls ?? loadTls(config);
    this.secure = tls !== undefined;
    this.certRights = tls?.certRights;
    this.cluster = config.cluster === undefined ? undefined : this.createClusterEngine(config, config.cluster, logger);
    this.hub = new Hub(config, options.keyring, logger, this.cluster);
    followSessionsAndAuth(this.hub, logger);
    this.liveness = new Liveness(config.pingIntervalMs, config.maxMissedPongs);
    this.listeners = this.socketListeners();
    // [PK-WIRE-3] [PK1-WIRE-1] exactly one offered value: the 1.x binary dialect (1.1 before 1.0),
    // else `pubkeeper.n.io`; with none of them, no subprotocol and the JSON dialect.
    this.wss = createWsServer({
      maxPayload: config.maxFrameBytes,
      handleProtocols: (offered) => WS_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
    // PCP picks no subprotocol (the version is in the path); ws would echo the first offered one.
    this.pcpWss = createWsServer({ maxPayload: config.maxFrameBytes, handleProtocols: () => false });
    this.relay = config.relayPort === undefined ? undefined : this.createRelay(config, logger, tls);
    this.metrics = new Metrics(this.hub, this.relay, {
      token: config.metricsToken,
      logDrops: options.logDrops,
      refusedConnections: () => ({ main: this.connections.refused, ...(this.relay ? { relay: this.relay.connections.refused } : {}) }),
      cluster: this.cluster?.status,
    });
    this.admin = new AdminPlane(this.hub, config, logger, this.metrics.registry, this.cluster?.commands);
    // One handler whether the port speaks TLS or not: every surface of CONTRACT §1 is the same.
    this.http = createListener(
      (req, res) => {
        if (this.admin.owns(pathOf(req.url))) return this.admin.handle(req, res);
        handleHttp(req, res, this.metrics, this.draining !== undefined, this.cluster?.status);
      },
      tls?.main,
      logger,
    );
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
    this.connections = new ConnectionGuard(this.http, config);
  }

  /** Loads the admin state and queue (before any client can connect), then listens. */
  async listen(): Promise<AddressInfo> {
    // A node serves once its copy of the cluster's registry is whole.
    await this.cluster?.start();
    await this.admin.open();
    const address = await listen(this.http, this.options.config.port, this.options.config.host);
    await this.relay?.listen();
    return address;
  }

  address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  /** Stops accepting, closes every session 1001, waits for the sockets (bounded), then closes. */
  drain(): Promise<void> {
    this.draining ??= this.doDrain();
    return this.draining;
  }

  private async doDrain(): Promise<void> {
    const log = this.options.logger;
    log.info({ sessions: this.hub.sessions.size }, 'draining');
    this.liveness.stop();
    const relayClosed = this.relay?.close();
    this.hub.drain();
    const adminClosed = this.admin.close();
    for (const session of [...this.hub.sessions]) session.close(CloseCode.GOING_AWAY, CloseReason.GOING_AWAY);
    await this.sockets.closed(this.options.config.drainTimeoutMs);
    this.sockets.terminateAll();
    await closeHttp(this.http);
    await adminClosed;
    await relayClosed;
    await this.cluster?.close();
    log.info('stopped');
  }

  /** ws refused the handshake itself (400/405): counted with our refusals. One function for every upgrade. */
  private readonly badHandshake = (): void => this.metrics.upgradeRefused('main', 'bad_handshake');

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    if (this.draining) {
      this.metrics.upgradeRefused('main', 'draining');
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    const path = pathOf(req.url);
    const { logger } = this.options;
    if (path === '/ws') {
      return handOver(this.wss, req, socket, head, this.badHandshake, (ws) => {
        const version = v1VersionOf(ws.protocol);
        const dialect: Dialect<unknown> = version === undefined ? jsonDialect : V1_DIALECTS[version];
        this.attach(ws, this.hub.createSession(dialect, new WsConnection(ws, socket, this.output), logger, req.socket.remoteAddress));
      });
    }
    if (isPcpPath(path)) {
      const checked = checkPcpUpgrade(req, this.hub, this.certRights);
      if (!checked.ok) {
        this.pcpRefused(checked, req.socket.remoteAddress);
        return refuseUpgrade(socket, checked.status, checked.text, `${checked.reason}\n`);
      }
      return handOver(this.pcpWss, req, socket, head, this.badHandshake, (ws) => {
        this.attach(ws, this.connectPcp(ws, socket, checked, req.socket.remoteAddress));
      });
    }
    this.metrics.upgradeRefused('main', 'not_found');
    refuseUpgrade(socket, 404, 'Not Found');
  }

  /**
   * A refused PCP upgrade, counted; a token at fault (401) or without the right (403) is a refused
   * authentication, logged at info as every other one is; a bad client type too, with its reason.
   */
  private pcpRefused(refusal: PcpRefusal, remoteAddress: string | undefined): void {
    this.metrics.upgradeRefused('main', refusal.label);
    const { logger } = this.options;
    if (refusal.auth) this.hub.refused({ surface: 'pcp', reason: refusal.auth.reason, sub: refusal.auth.sub, remoteAddress });
    else if (refusal.label === 'bad_type') logger.info({ status: refusal.status, reason: refusal.reason, remoteAddress }, 'PCP upgrade refused');
    else logger.debug({ status: refusal.status, reason: refusal.reason, remoteAddress }, 'PCP upgrade refused');
  }

  /** The relay on its own port, asking this server who a token is and which topic a hash names. */
  private createRelay(config: Config, logger: Logger, tls: TlsSettings | undefined): BrewRelay {
    const hashes = new TopicHashes(this.hub);
    return new BrewRelay({
      config,
      logger,
      authority: {
        verify: (token) => this.hub.verify(token, 'relay'),
        refused: (refusal) => this.hub.refused(refusal),
        topicOf: (key) => hashes.topicOf(key),
      },
      // Called only once listening, so after `metrics` exists.
      upgradeRefused: (reason) => this.metrics.upgradeRefused('relay', reason),
      tls: tls?.relay,
    });
  }

  private connectPcp(ws: WebSocket, socket: Duplex, upgrade: Extract<PcpUpgrade, { ok: true }>, remoteAddress: string | undefined): InboundFrames {
    return this.hub.connectPcp(upgrade.dialect, upgrade.uri, upgrade.identity, new WsConnection(ws, socket, this.output), this.options.logger, remoteAddress);
  }

  /**
   * Binds a socket to its session, the same for every dialect: liveness, inbound frames to the
   * session's driver, and a close (from either side) that ends the session. ws closes 1009 by
   * itself past maxPayload and reports an 'error' first.
   */
  private attach(ws: WebSocket, inbound: InboundFrames): void {
    this.bound.set(ws, inbound);
    this.sockets.add(ws);
    this.liveness.watch(ws);
    inbound.session.info('session opened');
    ws.on('message', this.listeners.message);
    ws.on('error', this.listeners.error);
    ws.on('close', this.listeners.close);
  }

  /**
   * One set of listeners for every socket (ws calls them on the socket), finding its session in
   * `bound`: three closures and their scope per connection would cost every idle session for it.
   */
  private socketListeners(): SocketListeners {
    const bound = this.bound;
    const closed = (ws: WebSocket, code: number, reason: Buffer): void => this.socketClosed(ws, code, reason);
    return {
      message(this: WebSocket, data: RawData, isBinary: boolean) {
        bound.get(this)?.receive(toBuffer(data), isBinary);
      },
      error(this: WebSocket, err: Error) {
        bound.get(this)?.session.debug({ err: err.message }, 'socket error');
      },
      close(this: WebSocket, code: number, reason: Buffer) {
        closed(this, code, reason);
      },
    };
  }

  private socketClosed(ws: WebSocket, code: number, reason: Buffer): void {
    const inbound = this.bound.get(ws);
    this.bound.delete(ws);
    this.sockets.delete(ws);
    this.liveness.forget(ws);
    if (inbound === undefined) return;
    // The "session closed" line follows from the hub's sessionEnded (auditLog.ts).
    inbound.session.close(code, reason.toString());
  }

  private createClusterEngine(config: Config, url: string, logger: Logger): RedisRegistryEngine {
    return new RedisRegistryEngine({
      url,
      prefix: config.clusterPrefix,
      leaseMs: config.clusterLeaseMs,
      nodeId: config.nodeId ?? randomUUID().slice(0, 8),
      uuidReserveMs: config.uuidReserveMs,
      commandHistory: config.commandHistory,
      log: logger.child({ component: 'cluster' }),
      // The hub exists by the time the engine first joins.
      revocations: () => this.hub.revocations.snapshot(),
    });
  }

}
