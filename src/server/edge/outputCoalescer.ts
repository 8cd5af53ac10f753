import type { Writable } from 'node:stream';

/** A socket's place in the coalescer: what it holds for this turn's flush. */
export interface CoalescedSocket {
  readonly socket: Writable;
  /** Chunks held since the socket's first write this turn, or undefined when it holds none. */
  held: Uint8Array[] | undefined;
  heldBytes: number;
  /** False once a close frame went or came: then no data frame may follow (RFC 6455 §5.5.1). */
  readonly open: boolean;
}

/** Past this many bytes held for one socket in a turn, they go at once rather than at the turn's end. */
export const DEFAULT_FLUSH_BYTES = 64 * 1024;

// Where a socket's frames are joined before its one write: reused while the kernel takes each
// write whole, so a turn's flush allocates nothing.
const SLAB_BYTES = 256 * 1024;

/**
 * Coalesces output per event-loop turn: what a socket is sent during a turn (a burst of
 * notifications, a snapshot, answers to pipelined requests) is held in a list of ours, and one
 * `setImmediate` writes each socket's list as one buffer: one write syscall per socket per turn
 * instead of one per frame, and no pass through the stream machinery per frame. `setImmediate` and
 * not a microtask or `nextTick`: a burst that arrives on many sockets is read in one poll phase,
 * and only the check phase after it sees all of it.
 *
 * A socket past `flushBytes` in a turn is written at once, so a large snapshot is not held whole,
 * and a chunk that large on its own is written as it is, never copied. What a socket holds counts
 * as unsent (`heldBytes`), for the slow-consumer limit.
 *
 * The socket must be done with a chunk once it reports it written (net and TLS sockets are: the
 * kernel or OpenSSL has the bytes), since the space a write was joined in is then reused.
 */
export class OutputCoalescer {
  private pending: CoalescedSocket[] = [];
  /** The list flushed last, reused so a turn allocates no list. */
  private spare: CoalescedSocket[] = [];
  private scheduled = false;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabUsed = 0;

  constructor(private readonly flushBytes = DEFAULT_FLUSH_BYTES) {}

  write(target: CoalescedSocket, chunk: Uint8Array): void {
    if (chunk.length >= this.flushBytes) {
      this.flushOne(target);
      target.socket.write(chunk);
      return;
    }
    const { held } = target;
    if (held !== undefined) {
      held.push(chunk);
      target.heldBytes += chunk.length;
      if (target.heldBytes >= this.flushBytes) this.flushOne(target);
      return;
    }
    target.held = [chunk];
    target.heldBytes = chunk.length;
    this.pending.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Writes what one socket holds now: before a close frame, which must follow it, or past the byte
   * cap. A socket flushed early and written again in the same turn is listed twice; the turn's
   * flush finds it empty the first time.
   */
  flushOne(target: CoalescedSocket): void {
    const { held } = target;
    if (held === undefined) return;
    target.held = undefined;
    const bytes = target.heldBytes;
    target.heldBytes = 0;
    // Closing from the peer's side, or destroyed: data may no longer follow.
    if (!target.open || target.socket.destroyed) return;
    if (held.length === 1) {
      target.socket.write(held[0] as Uint8Array);
      return;
    }
    this.writeJoined(target.socket, held, bytes);
  }

  /**
   * Joins the chunks in the slab and writes them as one buffer. When the kernel took the write
   * whole (nothing left unsent after it), nobody holds the bytes any more and the slab space is
   * used again; otherwise the stream keeps that view until it is sent, and the slab moves past it.
   */
  private writeJoined(socket: Writable, chunks: readonly Uint8Array[], bytes: number): void {
    if (this.slabUsed + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.slabUsed = 0;
    }
    const start = this.slabUsed;
    let offset = start;
    for (const chunk of chunks) {
      this.slab.set(chunk, offset);
      offset += chunk.length;
    }
    this.slabUsed = offset;
    const unsentBefore = socket.writableLength;
    socket.write(this.slab.subarray(start, offset));
    if (unsentBefore === 0 && socket.writableLength === 0) this.slabUsed = start;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = this.spare;
    for (const target of pending) this.flushOne(target);
    pending.length = 0;
    this.spare = pending;
  };
}
