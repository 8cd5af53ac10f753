// Baseline: what output coalescing and pre-framed broadcast can reach. Each message from a
// publisher becomes one unmasked WebSocket frame, built once; the frame is written straight to
// every subscriber's net socket, which is corked on its first write in the turn; one setImmediate
// uncorks them all, so a socket gets one write per turn however many messages arrived in it.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { listen } from './listen.js';

interface Subscriber {
  readonly socket: Socket;
  corked: boolean;
}

const subscribers = new Set<Subscriber>();
const corked: Subscriber[] = [];
let flushScheduled = false;

/** An unmasked server frame: FIN + opcode, then the 7-, 16- or 64-bit length, then the payload. */
function serverFrame(payload: Buffer, binary: boolean): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | (binary ? 2 : 1);
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, header);
  return frame;
}

function flush(): void {
  flushScheduled = false;
  for (const sub of corked) {
    sub.corked = false;
    sub.socket.uncork();
  }
  corked.length = 0;
}

listen((ws: WebSocket, path: string) => {
  if (path === '/pub') {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = serverFrame(data, isBinary);
      for (const sub of subscribers) {
        if (!sub.corked) {
          sub.corked = true;
          sub.socket.cork();
          corked.push(sub);
        }
        sub.socket.write(frame);
      }
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
    return;
  }
  const sub: Subscriber = { socket: (ws as unknown as { _socket: Socket })._socket, corked: false };
  subscribers.add(sub);
  ws.on('close', () => subscribers.delete(sub));
});
