import type { Writable } from 'node:stream';

/** A socket's place in the coalescer: what it holds for this turn's flush. */
export interface CoalescedSocket {
  readonly socket: Writable;
  /** Chunks held since the socket's first write this turn, or undefined when it holds none. */
  held: Uint8Array[] | undefined;
  heldBytes: number;
  /** The number of the last flush whose turn sent this socket two frames or more (-1: none). */
  lastBusyFlush: number;
  /** Frames sent to it in the current turn. */
  turnFrames: number;
  /** False once a close frame went or came: then no data frame may follow (RFC 6455 §5.5.1). */
  readonly open: boolean;
}

/** Past this many bytes held for one socket in a turn, they go at once rather than at the turn's end. */
export const DEFAULT_FLUSH_BYTES = 64 * 1024;

// A socket that got two frames or more in the last turn, whose flush ended less than this long
// before this turn began, is in a flood: its frames wait for the turn's one write. Any other gets
// the turn's first frame at once: a turn of one frame is one write either way.
const FLOOD_GAP_MS = 1;

// What a socket that wrote its turn's first frame at once holds: nothing, in one shared list that
// is never added to (the next frame replaces it), so a lone event allocates no list per socket.
const NOTHING_HELD: Uint8Array[] = [];

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
 * Holding costs latency and gains nothing when there is nothing to coalesce with, so a socket that
 * was not flooded (its last turn sent it fewer than two frames, or ended over a millisecond before
 * this one) gets the turn's first frame at once, as raw ws would send it, and only what follows is
 * held: a lone event reaches its last subscriber no later than an unbuffered broadcast, and a
 * flood, in which turns bring a socket several frames each, is written once per turn.
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
  /** When the current turn's first write came (one clock read per turn). */
  private turnAt = 0;
  /** How many turns were flushed, and when the last flush ended. */
  private flushes = 0;
  private lastFlushEndedAt = performance.now();
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
    target.turnFrames++;
    if (held === NOTHING_HELD) {
      target.held = [chunk];
      target.heldBytes = chunk.length;
      return;
    }
    if (held !== undefined) {
      held.push(chunk);
      target.heldBytes += chunk.length;
      if (target.heldBytes >= this.flushBytes) this.flushOne(target);
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.turnAt = performance.now();
      setImmediate(this.flush);
    }
    this.pending.push(target);
    const flooded = target.lastBusyFlush === this.flushes && this.turnAt - this.lastFlushEndedAt < FLOOD_GAP_MS;
    if (flooded) {
      target.held = [chunk];
      target.heldBytes = chunk.length;
      return;
    }
    // Idle until now: waiting would only delay this frame (a lone event goes out as soon as raw
    // ws would send it); what follows in the same turn is held behind it.
    target.held = NOTHING_HELD;
    target.heldBytes = 0;
    if (!target.socket.destroyed) target.socket.write(chunk);
  }

  /**
   * Writes what one socket holds now: before a close frame, which must follow it, or past the byte
   * cap. The socket stays in the turn (what it is sent next is held behind this, not sent first).
   */
  flushOne(target: CoalescedSocket): void {
    const { held } = target;
    if (held === undefined || held.length === 0) return;
    target.held = NOTHING_HELD;
    this.send(target, held);
  }

  /** Writes what the socket held, unless data may no longer go (closing, or destroyed). */
  private send(target: CoalescedSocket, held: Uint8Array[]): void {
    const bytes = target.heldBytes;
    target.heldBytes = 0;
    if (!target.open || target.socket.destroyed || held.length === 0) return;
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
    const flushed = this.flushes + 1;
    for (const target of pending) {
      const { held } = target;
      target.held = undefined;
      target.lastBusyFlush = target.turnFrames >= 2 ? flushed : -1;
      target.turnFrames = 0;
      if (held !== undefined) this.send(target, held);
    }
    pending.length = 0;
    this.spare = pending;
    this.flushes = flushed;
    this.lastFlushEndedAt = performance.now();
  };
}
