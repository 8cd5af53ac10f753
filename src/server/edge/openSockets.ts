import type { WebSocket } from 'ws';

/**
 * The WebSockets of one listener until their 'close', including those already being closed:
 * what a drain waits for, bounded, before it cuts the rest.
 */
export class OpenSockets {
  private readonly sockets = new Set<WebSocket>();
  /** One listener for every socket (ws calls it on the socket): no closure kept per connection. */
  private readonly forget: (this: WebSocket) => void;

  constructor() {
    const sockets = this.sockets;
    this.forget = function (this: WebSocket) {
      sockets.delete(this);
    };
  }

  add(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', this.forget);
  }

  /** Resolves once every socket has closed, or after `timeoutMs`. */
  closed(timeoutMs: number): Promise<void> {
    const open = [...this.sockets].filter((ws) => ws.readyState !== ws.CLOSED);
    if (open.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = open.length;
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      for (const ws of open) {
        ws.once('close', () => {
          if (--left > 0) return;
          clearTimeout(timer);
          resolve();
        });
      }
    });
  }

  terminateAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
