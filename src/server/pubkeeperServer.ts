import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Keyring } from '../core/auth/verifyToken.js';
import { Hub } from '../core/hub.js';
import type { Logger } from '../core/logger.js';
import type { Session } from '../core/session.js';
import { JsonSession } from '../core/pubkeeper/jsonSession.js';
import { V1Session } from '../core/pubkeeper-v1/v1Session.js';
import type { V1Version } from '../protocol/pubkeeper-v1/frame.js';
import { V1_SUBPROTOCOLS } from '../protocol/pubkeeper-v1/packets.js';
import type { Config } from '../config/schema.js';
import { CloseCode, CloseReason } from '../protocol/closeCodes.js';
import { handleHttp } from './httpRoutes.js';
import { Metrics } from './metrics.js';
import { BrewRelay } from './relay/brewRelay.js';
import { checkPcpUpgrade, isPcpPath, type PcpUpgrade } from './pcpUpgrade.js';
import { Liveness } from './liveness.js';
import { WsConnection } from './wsConnection.js';

export const LEGACY_SUBPROTOCOL = 'pubkeeper.n.io';
// The 1.x binary dialect first (1.1 before 1.0), then the JSON dialect's own.
const WS_SUBPROTOCOLS: readonly string[] = [...V1_SUBPROTOCOLS, LEGACY_SUBPROTOCOL];

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

export interface ServerOptions {
  config: Config;
  logger: Logger;
  keyring: Keyring;
}

function refuseUpgrade(socket: Duplex, status: number, text: string, body = ''): void {
  const length = Buffer.byteLength(body);
  const type = body ? 'Content-Type: text/plain; charset=utf-8\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${length}\r\n\r\n${body}`);
}

/**
 * The one HTTP server: routes upgrades to the WebSocket dialects, serves /healthz and /metrics,
 * keeps sockets alive with pings, and drains on shutdown.
 */
export class PubkeeperServer {
  readonly hub: Hub;
  readonly metrics: Metrics;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly pcpWss: WebSocketServer;
  private readonly liveness: Liveness;
  private readonly sockets = new Set<WebSocket>();
  private draining: Promise<void> | undefined;
  /** The websocket brew relay, on its own port, when `relayPort` is set. */
  readonly relay: BrewRelay | undefined;

  constructor(private readonly options: ServerOptions) {
    const { config, logger } = options;
    this.hub = new Hub(config, options.keyring, logger);
    this.liveness = new Liveness(config.pingIntervalMs, config.maxMissedPongs);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      clientTracking: false,
      skipUTF8Validation: true,
      // [PK-WIRE-3] [PK1-WIRE-1] exactly one offered value: the 1.x binary dialect (1.1 before
      // 1.0), else `pubkeeper.n.io`; with none of them, no subprotocol and the JSON dialect.
      handleProtocols: (offered) => WS_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
    // PCP picks no subprotocol (the version is in the path); ws would echo the first offered one.
    // UTF-8 is checked by the dialects, so that a bad text frame gets an error packet rather
    // than a close 1007 the contract does not list.
    this.pcpWss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      clientTracking: false,
      skipUTF8Validation: true,
      handleProtocols: () => false,
    });
    this.relay = config.relayPort === undefined ? undefined : new BrewRelay({ config, logger });
    this.metrics = new Metrics(this.hub, this.relay);
    this.http = createServer((req, res) => handleHttp(req, res, this.metrics, this.draining !== undefined));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.options.config;
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    await this.relay?.listen();
    return this.address();
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
    this.hub.pcp.stop();
    const relayClosed = this.relay?.close();
    this.hub.discovery.quiet = true;
    for (const session of [...this.hub.sessions]) session.close(CloseCode.GOING_AWAY, CloseReason.GOING_AWAY);
    await this.socketsClosed(this.options.config.drainTimeoutMs);
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    await relayClosed;
    log.info('stopped');
  }

  private socketsClosed(timeoutMs: number): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      const check = (): void => {
        if (this.sockets.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const ws of this.sockets) ws.once('close', () => queueMicrotask(check));
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.draining) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (path === '/ws') {
      return this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (ws.protocol === 'pubkeeper-1.1' || ws.protocol === 'pubkeeper-1.0') this.attachV1(ws, ws.protocol === 'pubkeeper-1.1' ? '1.1' : '1.0');
        else this.attachJson(ws);
      });
    }
    if (isPcpPath(path)) {
      const checked = checkPcpUpgrade(req, this.hub);
      if (!checked.ok) {
        this.options.logger.debug({ status: checked.status, reason: checked.reason }, 'PCP upgrade refused');
        return refuseUpgrade(socket, checked.status, checked.text, `${checked.reason}\n`);
      }
      return this.pcpWss.handleUpgrade(req, socket, head, (ws) => this.attachPcp(ws, checked));
    }
    refuseUpgrade(socket, 404, 'Not Found');
  }

  /**
   * Binds a socket to its session: liveness, the message handler, and a close (from either side)
   * that ends the session. ws closes 1009 by itself past maxPayload and reports an 'error' first.
   */
  private wire(ws: WebSocket, session: Session, onMessage: (data: Buffer, isBinary: boolean) => void): void {
    this.sockets.add(ws);
    this.liveness.watch(ws);
    session.log.debug('session opened');
    ws.on('message', (data, isBinary) => onMessage(toBuffer(data), isBinary));
    ws.on('error', (err) => session.log.debug({ err: err.message }, 'socket error'));
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      session.close(code, reason.toString());
      session.log.debug({ code }, 'session closed');
    });
  }

  private attachPcp(ws: WebSocket, upgrade: Extract<PcpUpgrade, { ok: true }>): void {
    const pcp = this.hub.pcp.connect(upgrade.uri, upgrade.dialect, upgrade.identity, new WsConnection(ws), this.options.logger);
    this.wire(ws, pcp.session, (data, isBinary) => this.hub.pcp.onFrame(pcp, data, isBinary));
  }

  private attachV1(ws: WebSocket, version: V1Version): void {
    const dialect = new V1Session(this.hub, version, new WsConnection(ws), this.options.logger);
    this.wire(ws, dialect.session, (data, isBinary) => (isBinary ? dialect.onBinary(data) : dialect.onText()));
  }

  private attachJson(ws: WebSocket): void {
    const dialect = new JsonSession(this.hub, new WsConnection(ws), this.options.logger);
    this.wire(ws, dialect.session, (data, isBinary) => {
      if (isBinary) dialect.onBinary();
      else if (!isUtf8(data)) dialect.onUndecodable('text frame is not UTF-8');
      else dialect.onText(data.toString('utf8'));
    });
  }
}
