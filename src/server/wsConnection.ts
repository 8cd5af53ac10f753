import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Connection, Frame } from '../core/connection.js';
import { DEFAULT_FLUSH_BYTES, type CoalescedSocket, type OutputCoalescer } from './edge/outputCoalescer.js';
import { buildFrame, buildHeader } from './edge/wsFrame.js';

// A peer that never answers our close frame is cut after this long, so a closed session's socket
// cannot linger (ws's own fallback is 30 s).
const CLOSE_GRACE_MS = 2000;

// Payloads the coalescer would write uncopied are not copied into a frame either: they go behind
// a header of their own.
const COPY_LIMIT = DEFAULT_FLUSH_BYTES;

// ws's readyState for an open socket (WebSocket.OPEN), a constant rather than a getter per send.
const OPEN = 1;

/**
 * The core's Connection seam over a ws socket: every frame to a socket, from every dialect and
 * the relay, leaves through `send` here.
 *
 * Data frames bypass ws's sender: we frame them ourselves (once per frame, however many sockets
 * it goes to) and hand them to the turn's coalescer. ws still answers pings and sends the close
 * frame, each written whole and at once (no compression, so its sender never queues), so a frame
 * of ours and one of ws's never interleave. A pong may overtake data held for the turn (control
 * frames may come between messages, RFC 6455 §5.4); a close frame never does: what we hold is
 * written before it.
 */
export class WsConnection implements Connection, CoalescedSocket {
  held: Uint8Array[] | undefined = undefined;
  heldBytes = 0;
  lastBusyFlush = -1;
  turnFrames = 0;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded socket ws reads and writes: the same object ws holds. */
    readonly socket: Duplex,
    private readonly output: OutputCoalescer,
  ) {}

  send(frame: Frame): void {
    if (!this.open) return;
    const { data } = frame;
    if (frame.wire !== undefined) return this.output.write(this, frame.wire);
    if (data.length < COPY_LIMIT) {
      const wire = buildFrame(frame.binary, data);
      frame.wire = wire;
      return this.output.write(this, wire);
    }
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.output.write(this, buildHeader(frame.binary, payload.length));
    this.output.write(this, payload);
  }

  /** Once a close frame went or came, no data frame may follow it (RFC 6455 §5.5.1). */
  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  close(code: number, reason: string): void {
    if (this.open || this.ws.readyState === this.ws.CONNECTING) {
      // What we hold goes first: ws writes its close frame at once, and nothing may follow it.
      this.output.flushOne(this);
      this.ws.close(code, reason);
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  /** Bytes not yet handed to the kernel, including those held for this turn's flush. */
  get bufferedAmount(): number {
    return this.socket.writableLength + this.heldBytes;
  }
}
