// The ORIGINAL PubKeeper JavaScript client (@pubkeeper/client 4.x and its packages), driven
// unmodified, for tests that prove real clients work against this server.
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';

const require = createRequire(import.meta.url);

interface Emitter {
  on(event: string, fn: (...args: never[]) => void): unknown;
}
export interface RealBrewer extends Emitter {
  readonly id: string;
  brewJSON(value: unknown, options?: { waitForBrews?: number | boolean }): Promise<void>;
}
export interface RealPatron extends Emitter {
  readonly id: string;
}
interface RealClient extends Emitter {
  connect(): Promise<unknown>;
  disconnect(code?: number): void;
  addBrewer(topic: string, options: object, matched?: (brewer: RealBrewer) => void): symbol;
  addPatron(topic: string, options: object, matched?: (patron: RealPatron) => void): symbol;
  removeBrewer(token: symbol): void;
  removePatron(token: symbol): void;
  _wsc: WebSocket | null;
}
type Ctor<T> = new (options: object) => T;

const { PubkeeperClient } = require('@pubkeeper/client') as { PubkeeperClient: Ctor<RealClient> };
const { PubkeeperProtocol_v1_1, PubkeeperProtocol_v1_0 } = require('@pubkeeper/protocol-v1-1') as Record<string, [string, unknown]>;
const { WebSocketBrew } = require('@pubkeeper/brew-websocket') as { WebSocketBrew: Ctor<Emitter> };
const { PubkeeperAesCbcCrypto } = require('@pubkeeper/crypto-cjs-aes-cbc') as { PubkeeperAesCbcCrypto: [number, unknown] };

/**
 * Node 20 has no global WebSocket, and the client listens to 'open'/'close' only: a `ws` socket
 * that fails would throw its 'error' with no listener. Hand the client a subclass that listens.
 */
function listeningSocket(errors: string[]): typeof WebSocket {
  return class NodeWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('error', (err) => errors.push(err.message));
    }
  } as typeof WebSocket;
}

/**
 * The relay wants the token too: the brew opens its connections with the class it is given, so a
 * subclass adds it, as the README shows. The brew's URL has no query of its own.
 */
function relaySocket(errors: string[], token: string): typeof WebSocket {
  const Listening = listeningSocket(errors);
  return class RelayWebSocket extends Listening {
    constructor(url: string, protocols?: string | string[]) {
      super(`${url}?token=${encodeURIComponent(token)}`, protocols);
    }
  } as typeof WebSocket;
}

export interface RealClientHandle {
  client: RealClient;
  /** Events seen, in order: `brewer-added:<id>`, `brewer-removed:<id>`, `patron-added:<id>`, `patron-removed:<id>`. */
  readonly seen: string[];
  /** Decoded messages received by this client's patrons. */
  readonly messages: { text: string; topic: string; from: string }[];
  /** Resolves once `event` has been seen (already, or later). */
  waitFor(event: string, ms?: number): Promise<void>;
  readonly errors: string[];
  /** A brewer; resolves once the client's connect() resolved (it waits for its PATRON_NOTIFY). */
  addBrewer(topic: string, id: string): Promise<{ token: symbol; brewer: Promise<RealBrewer> }>;
  addPatron(topic: string, id: string): { token: symbol; patron: Promise<RealPatron> };
}

export interface RealClientOptions {
  url: string;
  token: string;
  /** Which 1.x versions to offer, preferred first. */
  versions?: ('1.1' | '1.0')[];
  /** The relay the client's brewers advertise (host and port). */
  relay?: { hostname: string; port: number };
}

/** A real client, started and connected; disconnected when the test ends. */
export async function realClient(options: RealClientOptions): Promise<RealClientHandle> {
  const errors: string[] = [];
  const events = new EventEmitter();
  const seen: string[] = [];
  const messages: { text: string; topic: string; from: string }[] = [];
  const record = (event: string): void => {
    seen.push(event);
    events.emit(event);
  };
  const Socket = listeningSocket(errors);
  const versions = options.versions ?? ['1.1', '1.0'];
  const protocols = new Map(versions.map((v) => (v === '1.1' ? PubkeeperProtocol_v1_1 : PubkeeperProtocol_v1_0) as [string, unknown]));
  const brew = new WebSocketBrew({
    brewerConfig: { hostname: options.relay?.hostname ?? '127.0.0.1', port: options.relay?.port ?? 9, secure: false },
    WebSocket: relaySocket(errors, options.token),
    maxRetries: 20,
  });
  brew.on('error', (err: Error) => errors.push(err.message));
  const client = new PubkeeperClient({
    server: options.url,
    jwt: options.token,
    WebSocket: Socket,
    protocols,
    // The brewer looks up the default cipher by this symbol; the patron by brewer_config.cipher.mode.
    crypto: new Map<unknown, unknown>([[Symbol.for('Pubkeeper.defaultCipher'), PubkeeperAesCbcCrypto[1]], PubkeeperAesCbcCrypto]),
    brews: [brew],
    maxRetries: 0,
  });
  client.on('error', (err: Error) => errors.push(String(err?.message ?? err)));
  onTestFinished(() => client.disconnect());
  await client.connect();
  return {
    client,
    seen,
    messages,
    errors,
    waitFor: (event, ms = 8000) =>
      seen.includes(event)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no "${event}" in time; seen ${JSON.stringify(seen)}; errors ${JSON.stringify(errors)}`)), ms);
            events.once(event, () => {
              clearTimeout(timer);
              resolve();
            });
          }),
    async addBrewer(topic, id) {
      let resolveBrewer: (b: RealBrewer) => void = () => undefined;
      const brewer = new Promise<RealBrewer>((resolve) => (resolveBrewer = resolve));
      const token = client.addBrewer(topic, { id }, (b) => {
        b.on('added', ({ id: patronId }: { id: string }) => record(`patron-added:${patronId}`));
        b.on('removed', ({ id: patronId }: { id: string }) => record(`patron-removed:${patronId}`));
        resolveBrewer(b);
      });
      return { token, brewer };
    },
    addPatron(topic, id) {
      let resolvePatron: (p: RealPatron) => void = () => undefined;
      const patron = new Promise<RealPatron>((resolve) => (resolvePatron = resolve));
      const token = client.addPatron(topic, { id }, (p) => {
        p.on('added', ({ id: brewerId }: { id: string }) => record(`brewer-added:${brewerId}`));
        p.on('removed', ({ id: brewerId }: { id: string }) => record(`brewer-removed:${brewerId}`));
        p.on('message', (bytes: Uint8Array, meta: { topic: string; from: string }) => {
          messages.push({ text: Buffer.from(bytes).toString('utf8'), topic: meta.topic, from: meta.from });
          record('message');
        });
        resolvePatron(p);
      });
      return { token, patron };
    },
  };
}

