// Frames as the fuzz suite sends them, and a raw, recording WebSocket client that checks every
// frame the server sends back and remembers how it was closed.
import { isUtf8 } from 'node:buffer';
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';

/** Close codes CONTRACT §6 lets the server use. */
export const CONTRACT_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1008, 1009, 4000, 4001, 4003, 4004, 4005]);

/** One frame as sent: text (a string, or bytes sent as a text frame) or binary. */
export interface OutFrame {
  data: string | Buffer;
  binary: boolean;
}

export const text = (data: string | Buffer): OutFrame => ({ data, binary: false });
export const binary = (data: Uint8Array): OutFrame => ({ data: Buffer.from(data), binary: true });

/** The bytes the server receives for a frame (ws writes a JS string as UTF-8, lone surrogates as U+FFFD). */
export function wireBytes(frame: OutFrame): Buffer {
  return typeof frame.data === 'string' ? Buffer.from(frame.data, 'utf8') : frame.data;
}

/** The text the server decodes from a text frame, or undefined when it is not UTF-8. */
export function wireText(frame: OutFrame): string | undefined {
  const bytes = wireBytes(frame);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

export function describeFrame(frame: OutFrame, max = 160): string {
  const bytes = wireBytes(frame);
  const shown = frame.binary ? bytes.subarray(0, max / 2).toString('hex') : JSON.stringify(bytes.toString('utf8').slice(0, max));
  return `${frame.binary ? 'binary' : 'text'}(${bytes.length} B) ${shown}`;
}

export interface Received {
  data: Buffer;
  isBinary: boolean;
}

/**
 * A raw WebSocket that records every frame the server sends, runs a checker on each (the
 * dialect's well-formedness rules) and remembers how it was closed. UTF-8 is not validated by ws
 * here, so that the checker sees exactly what the server wrote.
 */
export class FuzzSocket {
  readonly received: Received[] = [];
  readonly violations: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  /** Set before we terminate the socket ourselves: only then is a 1006 ours. */
  terminatedByUs = false;
  private readonly watchers = new Set<() => void>();
  /** Called with every received frame, before the waiters look: for counters kept as frames come. */
  private readonly taps: ((r: Received) => void)[] = [];

  private constructor(
    readonly name: string,
    readonly ws: WebSocket,
    private readonly check: (r: Received) => string | undefined,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const r = { data, isBinary };
      this.received.push(r);
      for (const tap of this.taps) tap(r);
      let problem: string | undefined;
      try {
        problem = check(r);
      } catch (err) {
        problem = `checker threw ${String(err)}`;
      }
      if (problem !== undefined) {
        const shown = isBinary ? data.subarray(0, 80).toString('hex') : JSON.stringify(data.toString('utf8').slice(0, 300));
        this.violations.push(`${name}: ${problem}: ${shown}`);
      }
      this.notify();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closedWith = { code, reason: reason.toString() };
      this.notify();
    });
    ws.on('error', () => undefined); // surfaces as 'close'
  }

  static open(
    name: string,
    url: string,
    protocols: string[],
    check: (r: Received) => string | undefined,
    options: WebSocket.ClientOptions = {},
  ): Promise<FuzzSocket> {
    const ws = new WebSocket(url, protocols, { skipUTF8Validation: true, perMessageDeflate: false, ...options });
    onTestFinished(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FuzzSocket(name, ws, check)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`${name}: upgrade refused with ${res.statusCode ?? 0}`)));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Runs `fn` on every frame received from now on. */
  tap(fn: (r: Received) => void): void {
    this.taps.push(fn);
  }

  send(frame: OutFrame): void {
    if (this.open) this.ws.send(frame.data, { binary: frame.binary });
  }

  /**
   * Resolves once `done()` holds, checked after every frame and at the close. A close before
   * that rejects. The timeout only bounds a failure: nothing here waits for time to pass.
   */
  waitFor(done: () => boolean, what: string, ms = 8000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watch);
        reject(new Error(`${this.name}: ${what} did not arrive (received ${this.received.length} frames)`));
      }, ms);
      const watch = (): void => {
        if (done()) {
          clearTimeout(timer);
          this.watchers.delete(watch);
          resolve();
        } else if (this.closedWith) {
          clearTimeout(timer);
          this.watchers.delete(watch);
          reject(new Error(`${this.name}: closed ${this.closedWith.code} "${this.closedWith.reason}" while waiting for ${what}`));
        }
      };
      this.watchers.add(watch);
    });
  }

  /** Resolves with the close, whoever closed. */
  closed(ms = 8000): Promise<{ code: number; reason: string }> {
    return this.waitFor(() => this.closedWith !== undefined, 'the close', ms).then(
      () => this.closedWith as { code: number; reason: string },
      (err: unknown) => {
        if (this.closedWith) return this.closedWith;
        throw err;
      },
    );
  }

  async close(code = 1000): Promise<void> {
    if (this.closedWith) return;
    if (this.open) this.ws.close(code);
    await this.closed();
  }

  terminate(): void {
    this.terminatedByUs = true;
    this.ws.terminate();
  }

  /**
   * A close is acceptable when its code is in the contract's list, or when it is 1006 after we cut
   * the socket ourselves. Undefined: still open or closed acceptably.
   */
  closeProblem(): string | undefined {
    const c = this.closedWith;
    if (!c) return undefined;
    if (CONTRACT_CLOSE_CODES.has(c.code)) return undefined;
    if (c.code === 1006 && this.terminatedByUs) return undefined;
    return `${this.name}: closed with ${c.code} "${c.reason}" (not a contract close code)`;
  }

  private notify(): void {
    for (const watch of [...this.watchers]) watch();
  }
}
