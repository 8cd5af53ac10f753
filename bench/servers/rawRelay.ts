// Baseline for PCP routing: a relay that forwards every frame from the client on /a, unparsed, to
// the client on /b with `ws.send` (one frame, one write each). The least a router can do.
import type { WebSocket } from 'ws';
import { listen } from './listen.js';

let target: WebSocket | undefined;

listen((ws, path) => {
  if (path === '/b') {
    target = ws;
    return;
  }
  ws.on('message', (data: Buffer, isBinary: boolean) => target?.send(data, { binary: isBinary }));
});
