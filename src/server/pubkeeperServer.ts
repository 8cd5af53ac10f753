import { isUtf8 } from 'node:buffer';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Keyring } from '../core/auth/verifyToken.js';
import { Hub } from '../core/hub.js';
import type { Logger } from '../core/logger.js';
import { JsonSession } from '../core/pubkeeper/jsonSession.js';
import type { Config } from '../config/schema.js';
import { CloseCode, CloseReason } from '../protocol/closeCodes.js';
import { handleHttp } from './httpRoutes.js';
import { Metrics } from './metrics.js';
import { checkPcpUpgrade, isPcpPath, type PcpUpgrade } from './pcpUpgrade.js';
import { Liveness } from './liveness.js';
import { WsConnection } from './wsConnection.js';

export const LEGACY_SUBPROTOCOL = 'pubkeeper.n.io';

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

  constructor(private readonly options: ServerOptions) {
    const { config, logger } = options;
    this.hub = new Hub(config, options.keyring, logger);
    this.liveness = new Liveness(config.pingIntervalMs, config.maxMissedPongs);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      clientTracking: false,
      skipUTF8Validation: true,
      // [PK-WIRE-3] echo `pubkeeper.n.io` when offered; otherwise no subprotocol.
      handleProtocols: (offered) => (offered.has(LEGACY_SUBPROTOCOL) ? LEGACY_SUBPROTOCOL : false),
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
    this.metrics = new Metrics(this.hub);
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
    for (const session of [...this.hub.sessions]) session.close(CloseCode.GOING_AWAY, CloseReason.GOING_AWAY);
    await this.socketsClosed(this.options.config.drainTimeoutMs);
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
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
    if (path === '/ws') return this.wss.handleUpgrade(req, socket, head, (ws) => this.attachJson(ws));
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

  private track(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.once('close', () => this.sockets.delete(ws));
    this.liveness.watch(ws);
  }

  private attachPcp(ws: WebSocket, upgrade: Extract<PcpUpgrade, { ok: true }>): void {
    this.track(ws);
    const pcp = this.hub.pcp.connect(upgrade.uri, upgrade.dialect, upgrade.identity, new WsConnection(ws), this.options.logger);
    const { session } = pcp;
    session.log.debug('session opened');
    ws.on('message', (data, isBinary) => this.hub.pcp.onFrame(pcp, toBuffer(data), isBinary));
    ws.on('error', (err) => session.log.debug({ err: err.message }, 'socket error'));
    ws.on('close', (code, reason) => {
      session.close(code, reason.toString());
      session.log.debug({ code }, 'session closed');
    });
  }

  private attachJson(ws: WebSocket): void {
    this.track(ws);
    const dialect = new JsonSession(this.hub, new WsConnection(ws), this.options.logger);
    const { session } = dialect;
    session.log.debug('session opened');
    ws.on('message', (data, isBinary) => {
      const buffer = toBuffer(data);
      if (isBinary) dialect.onBinary();
      else if (!isUtf8(buffer)) dialect.onUndecodable('text frame is not UTF-8');
      else dialect.onText(buffer.toString('utf8'));
    });
    // ws closes 1009 by itself past maxPayload and reports it here; the close below cleans up.
    ws.on('error', (err) => session.log.debug({ err: err.message }, 'socket error'));
    ws.on('close', (code, reason) => {
      session.close(code, reason.toString());
      session.log.debug({ code }, 'session closed');
    });
  }
}
