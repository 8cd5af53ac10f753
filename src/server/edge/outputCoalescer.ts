import type { Duplex } from 'node:stream';

/** A socket's place in the coalescer: whether we corked it this turn, and what we put in since. */
export interface CoalescedSocket {
  readonly socket: Duplex;
  corked: boolean;
  heldBytes: number;
}

/** Past this many bytes held for one socket in a turn, they go at once rather than at the turn's end. */
export const DEFAULT_FLUSH_BYTES = 64 * 1024;

/**
 * Coalesces output per event-loop turn: the first write to a socket in a turn corks it, and one
 * `setImmediate` uncorks every socket corked since, so all a socket receives in a turn (a burst of
 * notifications, a snapshot, answers to pipelined requests) leaves in one `writev` instead of one
 * syscall per frame. `setImmediate` and not a microtask or `nextTick`: a burst that arrives on many
 * sockets is read in one poll phase, and only the check phase after it sees all of it.
 *
 * Held bytes are in the socket's `writableLength`, so the slow-consumer limit counts them. A socket
 * that passes `flushBytes` in a turn is uncorked at once, so a large snapshot is not held whole.
 * Corking nests in Node (ws corks around a control frame it sends): our one cork is undone once.
 */
export class OutputCoalescer {
  private corked: CoalescedSocket[] = [];
  /** The list flushed last, reused so a turn allocates nothing. */
  private spare: CoalescedSocket[] = [];
  private scheduled = false;

  constructor(private readonly flushBytes = DEFAULT_FLUSH_BYTES) {}

  write(target: CoalescedSocket, chunk: Uint8Array): void {
    const { socket } = target;
    if (!target.corked) {
      socket.cork();
      target.corked = true;
      target.heldBytes = 0;
      this.corked.push(target);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    }
    socket.write(chunk);
    target.heldBytes += chunk.length;
    if (target.heldBytes >= this.flushBytes) uncork(target);
  }

  /** Sends what one socket holds now (before its close, say); the turn's flush then skips it. */
  flushOne(target: CoalescedSocket): void {
    if (target.corked) uncork(target);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const corked = this.corked;
    this.corked = this.spare;
    // A socket flushed early and corked again in the same turn is listed twice; it is uncorked once.
    for (const target of corked) if (target.corked) uncork(target);
    corked.length = 0;
    this.spare = corked;
  };
}

function uncork(target: CoalescedSocket): void {
  target.corked = false;
  target.socket.uncork();
}
