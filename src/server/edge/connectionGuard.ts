import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { Listener } from './listener.js';

/** Connections a listener closed before any HTTP, by why. */
export interface ConnectionRefusals {
  overCap: number;
  handshakeTimeout: number;
}

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly handshakeTimeoutMs: number;
}

/**
 * The caps of CONTRACT §6b on one listener, at the TCP level, before any byte is parsed: past the
 * total or the per-address cap a new connection is closed at once; one that has not completed its
 * HTTP request (or upgrade) within the handshake timeout is closed then. A connection that
 * completed one has the HTTP server's own timeouts (keep-alive, headers, request), which the
 * server sets to the same bound.
 *
 * Over TLS the counting and the timer are the TCP connection's too, from its first byte, so a
 * client that never completes the TLS handshake is closed like one that never completes its
 * request, and counts against the caps meanwhile. The request arrives on the TLS socket that
 * wraps the TCP one; Node has no public link from one to the other, so when the handshake
 * completes the TCP socket is found by the peer's address and port (which no two open connections
 * to one listener share) and linked to its TLS socket, once per connection.
 */
export class ConnectionGuard {
  private total = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly pending = new WeakMap<Socket, NodeJS.Timeout>();
  /** TLS only: TCP sockets still in their TLS handshake, by peer (`address|port`). */
  private readonly handshaking: Map<string, Socket> | undefined;
  /** TLS only: the TCP socket under each TLS socket whose handshake completed. */
  private readonly tcpOf = new WeakMap<Socket, Socket>();
  /** Connections closed for a cap or the handshake timeout, for metrics. */
  readonly refused: ConnectionRefusals = { overCap: 0, handshakeTimeout: 0 };
  /** One 'close' listener for every socket (Node calls it on the socket): no closure per connection. */
  private readonly release: (this: Socket) => void;

  constructor(
    http: Listener,
    private readonly limits: ConnectionLimits,
  ) {
    this.handshaking = http instanceof TlsServer ? new Map() : undefined;
    http.headersTimeout = limits.handshakeTimeoutMs;
    http.requestTimeout = limits.handshakeTimeoutMs;
    const closed = (socket: Socket): void => this.closed(socket);
    this.release = function (this: Socket) {
      closed(this);
    };
    http.on('connection', (socket: Socket) => this.admit(socket));
    http.on('request', (req: { socket: Socket }) => this.settled(req.socket));
    http.on('upgrade', (req: { socket: Socket }) => this.settled(req.socket));
    if (this.handshaking) http.on('secureConnection', (tls: Socket) => this.secured(tls));
  }

  get open(): number {
    return this.total;
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.total >= this.limits.maxConnections || fromAddress >= this.limits.maxConnectionsPerAddress) {
      this.refused.overCap++;
      socket.destroy();
      return;
    }
    this.total++;
    this.byAddress.set(address, fromAddress + 1);
    const timer = setTimeout(() => {
      this.refused.handshakeTimeout++;
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    this.pending.set(socket, timer);
    this.handshaking?.set(peerOf(socket), socket);
    socket.on('close', this.release);
  }

  /** A TLS handshake completed: its TLS socket is linked to the TCP socket, whose timer still runs. */
  private secured(tls: Socket): void {
    const peer = peerOf(tls);
    const tcp = this.handshaking?.get(peer);
    if (tcp === undefined) return;
    this.handshaking?.delete(peer);
    this.tcpOf.set(tls, tcp);
  }

  private closed(socket: Socket): void {
    this.settled(socket);
    if (this.handshaking) {
      const peer = peerOf(socket);
      if (this.handshaking.get(peer) === socket) this.handshaking.delete(peer);
    }
    this.total--;
    // Node keeps the peer's address once read (admit read it), so it is still there after the close.
    const address = socket.remoteAddress ?? '';
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }

  /**
   * The connection completed a request or an upgrade (or closed): the handshake timer is done
   * with it. `socket` is the TCP socket, or over TLS the TLS socket wrapping it.
   */
  private settled(socket: Socket): void {
    const tcp = this.tcpOf.get(socket) ?? socket;
    const timer = this.pending.get(tcp);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pending.delete(tcp);
  }
}

/** The peer of a connection; Node keeps it once read, so it is still there after the close. */
function peerOf(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}
