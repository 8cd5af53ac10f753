import type { Connection } from '../../src/core/connection.js';

/** An in-memory Connection that records what the core sends and how it closes. */
export class MemoryConnection implements Connection {
  readonly frames: (string | Uint8Array)[] = [];
  closedWith: { code: number; reason: string } | undefined;
  bufferedAmount = 0;

  send(frame: string | Uint8Array): void {
    this.frames.push(frame);
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  /** Decoded JSON-dialect frames. */
  json(): [number, Record<string, unknown>][] {
    return this.frames.map((f) => JSON.parse(String(f)) as [number, Record<string, unknown>]);
  }
}
