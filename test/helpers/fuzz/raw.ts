// Raw HTTP and WebSocket plumbing for the upgrade and framing fuzz tests: requests and frames
// that no WebSocket library would send.
import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Rng } from './rng.js';

export function upgradeStatus(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes bytes, half-closes, and resolves when the server has closed the connection. */
export function rawExchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket: Socket = netConnect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => reject(new Error('raw connection not closed in time')), 8000).unref();
  });
}

export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

/** One client frame; `lie` makes the length field claim more than follows. */
export function wsFrame(rng: Rng, opcode: number, payload: Buffer, o: { rsv?: number; fin?: boolean; masked?: boolean; lie?: boolean } = {}): Buffer {
  const { rsv = 0, fin = true, masked = true, lie = false } = o;
  const length = lie ? payload.length + rng.range(1, 100) : payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | (opcode & 0x0f)];
  if (length < 126) head.push((masked ? 0x80 : 0) | length);
  else head.push((masked ? 0x80 : 0) | 126, length >> 8, length & 0xff);
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = rng.bytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (key[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/**
 * Upgrades by hand, writes `bytes` after the handshake, half-closes, and returns the close codes
 * of the server's close frames (none when it only dropped the connection).
 */
export async function rawWebSocket(port: number, path: string, protocol: string, bytes: Buffer): Promise<number[]> {
  const key = Buffer.from('0123456789abcdef').toString('base64');
  const handshake = `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`;
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wrote = false;
    const socket: Socket = netConnect(port, '127.0.0.1', () => socket.write(handshake));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (!wrote && all.includes('\r\n\r\n')) {
        wrote = true;
        if (!all.subarray(0, 12).toString().includes('101')) reject(new Error(`upgrade refused: ${all.subarray(0, 40).toString()}`));
        socket.end(bytes);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => reject(new Error('raw WebSocket not closed in time')), 8000).unref();
  });
  const body = reply.subarray(reply.indexOf('\r\n\r\n') + 4);
  const codes: number[] = [];
  let at = 0;
  while (at + 2 <= body.length) {
    const opcode = (body[at] ?? 0) & 0x0f;
    let length = (body[at + 1] ?? 0) & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = body.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(body.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === 8 && length >= 2) codes.push(body.readUInt16BE(start));
    at = start + length;
  }
  return codes;
}
