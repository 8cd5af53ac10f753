import { WebSocketServer } from 'ws';

export interface WsServerOptions {
  readonly maxPayload: number;
  /** The one subprotocol to echo among those offered, or false for none. */
  readonly handleProtocols: (offered: Set<string>) => string | false;
}

/**
 * A WebSocketServer as every listener of ours runs it: upgrades handed over by our own HTTP
 * server, no client set of ws's own (we track sessions), no compression, and no UTF-8 check by
 * ws: each dialect checks text itself, so a bad text frame gets an error packet rather than a
 * close 1007 the contract does not list. ws closes 1009 by itself past `maxPayload`, before the
 * frame is buffered whole.
 */
export function createWsServer(options: WsServerOptions): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    clientTracking: false,
    perMessageDeflate: false,
    skipUTF8Validation: true,
    handleProtocols: options.handleProtocols,
  });
}
