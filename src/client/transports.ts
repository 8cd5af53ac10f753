import type WebSocket from 'ws';
import { PubkeeperError, type ErrorCode } from '../protocol/errors.js';
import type { Brewer } from '../protocol/pubkeeper/packets.js';
import type { InvalidMessageError } from './inbound.js';
import { PcpClient, PcpConnectError, PcpRequestError } from './pcpClient.js';
import { PubkeeperClient, PubkeeperRequestError, type BrewerEventArgs } from './pubkeeperClient.js';
import type { ClientTlsOptions } from './tls.js';

/** What a session reports back to the DiscoveryClient. Wired only once the session is authenticated. */
export interface SessionHandlers {
  notify(event: BrewerEventArgs): void;
  removed(event: BrewerEventArgs): void;
  close(code: number, reason: string): void;
  /** An error no request claimed (an ERROR out of the blue on /ws). */
  error(error: Error): void;
  /** A message the session dropped: malformed, or (PCP) discovery sent by a peer rather than the broker. */
  invalid(error: InvalidMessageError): void;
}

/**
 * One authenticated session over some dialect. Every request resolves once the server has applied
 * it (for subscribe: after the snapshot's notifications were delivered to `notify`) and rejects
 * if the server refused it or the session ended first (then `closed` is true).
 */
export interface TransportSession {
  readonly url: string;
  readonly closed: boolean;
  registerBrewer(topic: string, brewer: Brewer): Promise<void>;
  /** By uuid: always equal to what was registered, whatever object that was. */
  unregisterBrewer(topic: string, uuid: string): Promise<void>;
  subscribe(pattern: string): Promise<void>;
  unsubscribe(pattern: string): Promise<void>;
  /** Sends a fresh token on the live session, so its expiry moves and it is never closed 4003. */
  refreshToken(token: string): Promise<void>;
  close(code: number): Promise<void>;
}

/** Opens authenticated sessions; the DiscoveryClient's seam between policy and wire. */
export interface DiscoveryTransport {
  readonly name: string;
  connect(url: string, token: string, handlers: SessionHandlers): Promise<TransportSession>;
}

/** The server refused the token (AUTHENTICATED false, or HTTP 401 on PCP): ask for a new one. */
export class TokenRefusedError extends Error {
  override readonly name = 'TokenRefusedError';
  readonly code: ErrorCode = 'UNAUTHENTICATED';
}

export interface TransportOptions {
  /** Bound on the WebSocket handshake. Default 10000. */
  connectTimeoutMs?: number;
  /** Bound on each request; past it the session is dropped (and the client reconnects). Default 10000. */
  requestTimeoutMs?: number;
  /**
   * Client-side pings: a socket that answered no ping (and sent none) within one interval is
   * considered dead and dropped, so a half-open connection is noticed. 0 disables. Default 15000.
   */
  pingIntervalMs?: number;
  /** For a `wss://` server with a private CA; on PCP, a client certificate too (the token still decides who the session is). */
  tls?: ClientTlsOptions;
}

const DEFAULTS = { connectTimeoutMs: 10_000, requestTimeoutMs: 10_000, pingIntervalMs: 15_000 } as const;

/** The /ws JSON dialect (url `ws://host:port/ws`): requests are acknowledged by the SDK's AUTHENTICATE barrier. */
export function pubkeeperTransport(options: TransportOptions = {}): DiscoveryTransport {
  const { connectTimeoutMs, requestTimeoutMs, pingIntervalMs } = { ...DEFAULTS, ...options };
  return {
    name: 'pubkeeper-json',
    async connect(url, token, handlers) {
      const client = await PubkeeperClient.connect(url, { ws: { handshakeTimeout: connectTimeoutMs }, tls: options.tls });
      let authenticated: boolean;
      try {
        authenticated = await bounded(client.authenticate(token), requestTimeoutMs, client.socket);
      } catch (error) {
        // An ERROR answer on a live socket is a refusal; a closed socket or a timeout is not.
        const refused = error instanceof PubkeeperRequestError && client.closed === undefined;
        client.socket.terminate();
        throw refused ? new TokenRefusedError(messageOf(error)) : error;
      }
      if (!authenticated) {
        client.socket.terminate();
        throw new TokenRefusedError('token refused');
      }
      if (client.closed) throw new PubkeeperError('CONNECTION_CLOSED', `connection closed (${client.closed.code}) while authenticating`);
      client.on('notify', (event) => handlers.notify(event));
      client.on('removed', (event) => handlers.removed(event));
      client.on('serverError', (message) => handlers.error(new PubkeeperRequestError([message])));
      client.on('invalid', (error) => handlers.invalid(error));
      client.on('close', (code, reason) => handlers.close(code, reason));
      keepAlive(client.socket, pingIntervalMs);
      const call = <T>(request: Promise<T>): Promise<T> => bounded(request, requestTimeoutMs, client.socket);
      return sessionOf(client, url, call, async (fresh) => {
        if (!(await call(client.authenticate(fresh)))) throw new TokenRefusedError('token refused');
      });
    },
  };
}

export interface PcpTransportOptions extends TransportOptions {
  /** The client type: the session's URI is `pcp://<token sub>/<type>`. Default `discovery`. */
  type?: string;
}

/**
 * PCP v2 (url `ws://host:port`): the token travels at the upgrade, broker requests are answered
 * `pubkeeper/ok`. Two clients with one sub need distinct types, or each supersedes the other.
 */
export function pcpTransport(options: PcpTransportOptions = {}): DiscoveryTransport {
  const { connectTimeoutMs, requestTimeoutMs, pingIntervalMs } = { ...DEFAULTS, ...options };
  const type = options.type ?? 'discovery';
  return {
    name: 'pcp-v2',
    async connect(url, token, handlers) {
      let client: PcpClient;
      try {
        client = await PcpClient.connect(url, { token, type, timeoutMs: requestTimeoutMs, ws: { handshakeTimeout: connectTimeoutMs }, tls: options.tls });
      } catch (error) {
        if (error instanceof PcpConnectError && error.status === 401) throw new TokenRefusedError(error.message);
        throw error;
      }
      client.on('notify', (event) => handlers.notify(event));
      client.on('removed', (event) => handlers.removed(event));
      client.on('invalid', (error) => handlers.invalid(error));
      client.on('close', (code, reason) => handlers.close(code, reason));
      keepAlive(client.socket, pingIntervalMs);
      // PcpClient bounds each request itself; a reply that never came means the session is not
      // to be trusted any more, as on /ws.
      const call = <T>(request: Promise<T>): Promise<T> =>
        request.catch((error: unknown) => {
          if (error instanceof PcpRequestError && error.kind === 'timeout') client.socket.terminate();
          throw error;
        });
      return sessionOf(client, url, call, (fresh) => call(client.authenticate(fresh)));
    },
  };
}

/** What both SDK clients offer, so one session object serves either. */
interface DiscoveryCalls {
  readonly socket: WebSocket;
  registerBrewer(topic: string, brewer: Brewer): Promise<unknown>;
  unregisterBrewer(topic: string, uuid: string): Promise<unknown>;
  subscribe(pattern: string): Promise<unknown>;
  unsubscribe(pattern: string): Promise<unknown>;
  close(code: number): Promise<void>;
}

/** A TransportSession over a client, each request passed through the transport's `call` guard. */
function sessionOf(
  client: DiscoveryCalls,
  url: string,
  call: <T>(request: Promise<T>) => Promise<T>,
  refreshToken: (token: string) => Promise<void>,
): TransportSession {
  return {
    url,
    // CLOSING counts: after a timeout's terminate() the 'close' event is still to come.
    get closed() {
      return client.socket.readyState !== client.socket.OPEN;
    },
    registerBrewer: async (topic, brewer) => void (await call(client.registerBrewer(topic, brewer))),
    unregisterBrewer: async (topic, uuid) => void (await call(client.unregisterBrewer(topic, uuid))),
    subscribe: async (pattern) => void (await call(client.subscribe(pattern))),
    unsubscribe: async (pattern) => void (await call(client.unsubscribe(pattern))),
    refreshToken,
    close: (code) => client.close(code),
  };
}

/**
 * Rejects after `ms` and drops the socket. The /ws SDK matches answers to requests by order, so
 * after one answer went missing nothing on that session can be trusted: reconnecting is the fix.
 */
function bounded<T>(request: Promise<T>, ms: number, socket: WebSocket): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new PubkeeperError('TIMEOUT', `no answer within ${ms} ms`));
      socket.terminate();
    }, ms);
    timer.unref();
    request.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Drops a socket that shows no sign of life (no pong, no server ping) for a whole interval. */
function keepAlive(socket: WebSocket, intervalMs: number): void {
  if (intervalMs <= 0) return;
  let alive = true;
  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, intervalMs);
  // The socket itself keeps the process up; this timer must not.
  timer.unref();
  const markAlive = (): void => {
    alive = true;
  };
  socket.on('pong', markAlive);
  socket.on('ping', markAlive);
  socket.once('close', () => clearInterval(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
