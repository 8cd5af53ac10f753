// Baseline: the plainest ws broadcast. A connection on /pub is a publisher; every other one is a
// subscriber, and each message from a publisher goes to every subscriber with `ws.send`, one
// frame (and one write) per subscriber, as a naive server would do it. Also the raw connection
// the memory benchmark compares a session with: a message from a subscriber is answered with
// pubkeeper's 26-byte AUTHENTICATED, so a raw connection can make the same exchange a session does.
import type { WebSocket } from 'ws';
import { listen } from './listen.js';

const subscribers = new Set<WebSocket>();
const AUTHENTICATED = '[2,{"authenticated":true}]';

listen((ws, path) => {
  if (path === '/pub') {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      for (const client of subscribers) client.send(data, { binary: isBinary });
    });
    return;
  }
  subscribers.add(ws);
  ws.on('message', () => ws.send(AUTHENTICATED));
  ws.on('close', () => subscribers.delete(ws));
});
