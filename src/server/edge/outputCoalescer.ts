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
 */
export class OutputCoalescer {
  private pending: CoalescedSocket[] = [];
  /** The list flushed last, reused so a turn allocates no list. */
  private spare: CoalescedSocket[] = [];
  private scheduled = false;

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
    target.socket.write(held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, bytes));
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
