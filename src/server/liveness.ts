import type { WebSocket } from 'ws';

/**
 * WebSocket ping/pong liveness for every socket of one server, on one unref'd interval: a socket
 * that missed `maxMissed` pongs in a row is terminated, and its 'close' cleans the session up
 * exactly like any other close.
 */
export class Liveness {
  private readonly missed = new Map<WebSocket, number>();
  private readonly timer: NodeJS.Timeout;
  // One listener for every socket (ws calls it on the socket): no closure per connection.
  private readonly answered: (this: WebSocket) => void;

  constructor(intervalMs: number, private readonly maxMissed: number) {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
    const missed = this.missed;
    this.answered = function (this: WebSocket) {
      missed.set(this, 0);
    };
  }

  watch(ws: WebSocket): void {
    this.missed.set(ws, 0);
    ws.on('pong', this.answered);
  }

  /** From the socket's 'close' handler. */
  forget(ws: WebSocket): void {
    this.missed.delete(ws);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    for (const [ws, missed] of this.missed) {
      if (missed >= this.maxMissed) {
        this.missed.delete(ws);
        ws.terminate();
        continue;
      }
      this.missed.set(ws, missed + 1);
      ws.ping();
    }
  }
}
