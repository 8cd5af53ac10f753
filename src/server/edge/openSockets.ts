import type { WebSocket } from 'ws';

/**
 * The WebSockets of one listener until their 'close' (the listener's own 'close' handler deletes
 * each), including those already being closed: what a drain waits for, bounded, before it cuts the
 * rest.
 */
export class OpenSockets {
  private readonly sockets = new Set<WebSocket>();

  add(ws: WebSocket): void {
    this.sockets.add(ws);
  }

  /** From the socket's 'close' handler. */
  delete(ws: WebSocket): void {
    this.sockets.delete(ws);
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
