import type { Connection, Frame } from '../../src/core/connection.js';

/**
 * An in-memory Connection that records what the core sends and how it closes: a text frame as
 * its string, a binary frame as its bytes.
 */
export class MemoryConnection implements Connection {
  readonly frames: (string | Uint8Array)[] = [];
  /** Every frame as sent, bytes and kind. */
  readonly sent: Frame[] = [];
  closedWith: { code: number; reason: string } | undefined;
  bufferedAmount = 0;

  send(frame: Frame): void {
    this.sent.push(frame);
    this.frames.push(frame.binary || typeof frame.data === 'string' ? frame.data : Buffer.from(frame.data).toString('utf8'));
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  /** Decoded JSON-dialect frames. */
  json(): [number, Record<string, unknown>][] {
    return this.frames.map((f) => JSON.parse(String(f)) as [number, Record<string, unknown>]);
  }
}
