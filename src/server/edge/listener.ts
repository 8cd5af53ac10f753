import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../core/logger.js';
import type { TlsListenerOptions } from '../tls/tlsSettings.js';

/** The HTTP server of one port: plain, or TLS when the server has a certificate. */
export type Listener = HttpServer | HttpsServer;

/**
 * An HTTP server, or with `tls` an HTTPS one: the same requests, the same 'upgrade' events, so
 * everything above it is written once for both. Over TLS nothing is answered in plain text: a
 * client that speaks plain HTTP (or anything but TLS) fails the handshake and is dropped.
 */
export function createListener(handler: RequestListener, tls: TlsListenerOptions | undefined, logger: Logger): Listener {
  if (tls === undefined) return createHttpServer(handler);
  const server = createHttpsServer(tls, handler);
  // Port scanners and plain-HTTP clients fail here all day long: noise, so debug at most. The
  // socket is done for either way; destroying it is Node's default when nobody listens.
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    logger.debug({ code: err.code, remoteAddress: socket.remoteAddress }, 'TLS handshake failed');
    socket.destroy();
  });
  return server;
}
