// What the baseline servers share: an HTTP server on 127.0.0.1 port 0 with a ws server on it,
// configured like ours (no compression, no client tracking), announcing its port on stdout.
import { createServer, type IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import './gcOnSignal.js';

export function listen(onConnection: (ws: WebSocket, path: string) => void): void {
  const http = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 1 << 20 });
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req.url ?? '/'));
  });
  http.listen(0, '127.0.0.1', () => {
    const address = http.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
