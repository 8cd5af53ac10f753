import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

/**
 * An upgrading socket's 'error' listener: it goes. A function of the module and not a closure in
 * the upgrade handler, whose scope holds the request: a closure there would keep the request and
 * its headers alive for as long as the connection lasts.
 */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * The upgrade went through: ws has its own 'error' listener on the socket, so ours goes, and a
 * long-lived connection does not keep a listener list for one.
 */
function handedToWs(socket: Duplex): void {
  socket.off('error', destroyOnError);
}

/** Which listener refused an upgrade: the main port or the relay's. */
export type ListenerName = 'main' | 'relay';

/** Why an upgrade got an HTTP answer instead of a WebSocket: a closed set of label values. */
export type UpgradeRefusalReason =
  | 'draining'
  | 'not_found'
  | 'bad_type'
  | 'bad_subprotocol'
  | 'bad_handshake'
  | 'unauthorized'
  | 'forbidden';

/**
 * Hands an upgrade to ws. ws answers a handshake it refuses (no Sec-WebSocket-Key, a bad version,
 * not GET…) with its own 400 or 405 and never calls back; it completes an accepted one before
 * handleUpgrade returns (we give it no async verifyClient), so no callback by then is a refusal,
 * told to `refused` to be counted like ours.
 */
export function handOver(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, refused: () => void, accepted: (ws: WebSocket) => void): void {
  let handedOver = false;
  wss.handleUpgrade(req, socket, head, (ws) => {
    handedOver = true;
    handedToWs(socket);
    accepted(ws);
  });
  if (!handedOver) refused();
}

/** Refuses an upgrade with a plain HTTP answer; no WebSocket ever exists for it. */
export function refuseUpgrade(socket: Duplex, status: number, text: string, body = ''): void {
  const length = Buffer.byteLength(body);
  const type = body ? 'Content-Type: text/plain; charset=utf-8\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${length}\r\n\r\n${body}`);
}

/** ws hands a message as a Buffer, a Buffer list (fragments) or an ArrayBuffer: one Buffer. */
export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** The token from `Authorization: Bearer …`, else from `?token=`. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const query = (req.url ?? '').split('?', 2)[1];
  return query === undefined ? undefined : (new URLSearchParams(query).get('token') ?? undefined);
}

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0] ?? '/';
}
