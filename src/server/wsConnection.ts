import type { WebSocket } from 'ws';
import type { Connection, Frame } from '../core/connection.js';

// A peer that never answers our close frame is cut after this long, so a closed session's socket
// cannot linger (ws's own fallback is 30 s).
const CLOSE_GRACE_MS = 2000;

/**
 * The core's Connection seam over a ws socket: every frame to a socket, from every dialect and
 * the relay, leaves through `send` here.
 */
export class WsConnection implements Connection {
  constructor(private readonly ws: WebSocket) {}

  send(frame: Frame): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame.data, { binary: frame.binary });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}
