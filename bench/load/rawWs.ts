// A minimal WebSocket client for the load generator: a plain TCP socket, the HTTP upgrade written
// by hand, frames masked with a zero key (allowed: the mask is any four bytes) and incoming frames
// cut out of the stream without copying. It is several times cheaper per frame than the `ws`
// client (and far cheaper than the SDK, which parses and checks every message), so the process
// that holds thousands of these is not what a benchmark measures.
import { connect, type Socket } from 'node:net';

export const OPCODE_TEXT = 1;
export const OPCODE_CLOSE = 8;
const OPCODE_PING = 9;
const OPCODE_PONG = 10;

/** Called for every data frame (text or binary); `payload` is only valid during the call. */
export type FrameSink = (payload: Buffer, opcode: number) => void;

/** A client frame: FIN, `opcode`, the mask bit and a zero mask key, so the payload goes as is. */
export function clientFrame(data: string | Buffer, opcode = OPCODE_TEXT): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const length = payload.length;
  const header = length < 126 ? 6 : length < 65536 ? 8 : 14;
  const frame = Buffer.alloc(header + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  // bytes header-4 .. header-1: the mask key, zero (Buffer.alloc)
  payload.copy(frame, header);
  return frame;
}

export interface RawWsOptions {
  readonly port: number;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly host?: string;
}

export class RawWs {
  /** Where data frames go; swap it to change what the client does with them. */
  onFrame: FrameSink = () => {};
  readonly closed: Promise<void>;
  private pending: Buffer | null = null;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connects and upgrades; rejects on any status but 101. */
  static open(options: RawWsOptions): Promise<RawWs> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = connect(options.port, host);
      const client = new RawWs(socket);
      let head = '';
      // Once settled, a later reject is a no-op: errors after the upgrade end in 'close'.
      socket.on('error', (error) => reject(error));
      socket.once('close', () => reject(new Error(`connection to ${host}:${options.port}${options.path} closed during the upgrade`)));
      socket.once('connect', () => {
        const extra = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        socket.write(
          `GET ${options.path} HTTP/1.1\r\nHost: ${host}:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
        );
      });
      const onHead = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        const status = head.slice(0, head.indexOf('\r\n'));
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade to ${options.path} refused: ${status}`));
          return;
        }
        socket.on('data', (data: Buffer) => client.receive(data));
        resolve(client);
        const rest = Buffer.from(head.slice(end + 4), 'latin1');
        if (rest.length > 0) client.receive(rest);
      };
      socket.on('data', onHead);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(clientFrame(data));
  }

  /** Writes bytes already framed with `clientFrame` (several frames in one write, say). */
  write(frames: Buffer): void {
    this.socket.write(frames);
  }

  /** Half-closes and resolves once the server has closed its side too. */
  end(): Promise<void> {
    this.socket.end();
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    let off = 0;
    for (;;) {
      const available = buf.length - off;
      if (available < 2) break;
      const b0 = buf[off] ?? 0;
      const b1 = buf[off + 1] ?? 0;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (available < 4) break;
        length = buf.readUInt16BE(off + 2);
        header = 4;
      } else if (length === 127) {
        if (available < 10) break;
        length = Number(buf.readBigUInt64BE(off + 2));
        header = 10;
      }
      if (b1 & 0x80) header += 4; // a server never masks; skip a key anyway
      if (available < header + length) break;
      const opcode = b0 & 0x0f;
      const payload = buf.subarray(off + header, off + header + length);
      off += header + length;
      if (opcode === OPCODE_PING) this.socket.write(clientFrame(payload, OPCODE_PONG));
      else if (opcode !== OPCODE_PONG && opcode !== OPCODE_CLOSE) this.onFrame(payload, opcode);
    }
    this.pending = off === buf.length ? null : Buffer.from(buf.subarray(off));
  }
}

/** Runs `open(i)` for i in [0, count), at most `concurrency` at a time, and keeps the results in order. */
export async function openMany<T>(count: number, concurrency: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
