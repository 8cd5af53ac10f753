// A real BrewRelay on port 0 and raw ws clients for it (protocol/relay.md), each closed when the
// test ends, shared by the relay suites.
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigKey } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/logger.js';
import { encodeBrewFrame, encodeRelayFrame, RELAY_SUBPROTOCOL, RelayFrameType, topicHash } from '../../src/protocol/relay/codec.js';
import { BrewRelay } from '../../src/server/relay/brewRelay.js';

export type Flags = Partial<Record<ConfigKey, string | number>>;
export interface Closed {
  code: number;
  reason: string;
}

/**
 * A relay on its own, with no server behind it to check tokens: anonymous (RELAY-12) unless the
 * flags say otherwise. The token checks are tested against a whole server (relayAuth.test.ts).
 */
export async function startRelay(flags: Flags = {}): Promise<{ relay: BrewRelay; port: number }> {
  const config = loadConfig({ flags: { host: '127.0.0.1', relayPort: 0, relayAllowAnonymous: 'true', ...flags } });
  const relay = new BrewRelay({ config, logger: silentLogger });
  const { port } = await relay.listen();
  onTestFinished(() => relay.close());
  return { relay, port };
}

/** A raw relay client: frames in a queue, awaited one by one; the close code as a promise. */
export class RelayClient {
  private readonly queue: Buffer[] = [];
  private waiter: ((frame: Buffer) => void) | undefined;
  readonly received: Buffer[] = [];
  readonly closed: Promise<Closed>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.received.push(data);
      if (this.waiter) this.waiter(data);
      else this.queue.push(data);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The next frame not yet taken; the timeout only bounds a failure. */
  next(ms = 3000): Promise<Buffer> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error('no frame in time'));
      }, ms);
      this.waiter = (frame) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(frame);
      };
    });
  }

  join(topic: string): void {
    this.ws.send(encodeRelayFrame(RelayFrameType.JOIN, topicHash(topic)));
  }

  leave(topic: string): void {
    this.ws.send(encodeRelayFrame(RelayFrameType.LEAVE, topicHash(topic)));
  }

  /** Sends PUBLISH and returns the payload (the brew frame) it carries. */
  publish(topic: string, text: string, brewerId = 'ab'.repeat(16)): Buffer {
    const payload = encodeBrewFrame(topic, brewerId, Buffer.from(text));
    this.ws.send(encodeRelayFrame(RelayFrameType.PUBLISH, topicHash(topic), payload));
    return Buffer.from(payload);
  }
}

export function openSocket(port: number, protocols: string[] = [RELAY_SUBPROTOCOL], path = '/', options: WebSocket.ClientOptions = {}): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, options);
  ws.on('error', () => undefined); // refusals are asserted through 'unexpected-response' / close
  onTestFinished(() => ws.terminate());
  return ws;
}

export async function connect(port: number, options: WebSocket.ClientOptions = {}): Promise<RelayClient> {
  const ws = openSocket(port, [RELAY_SUBPROTOCOL], '/', options);
  const client = new RelayClient(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return client;
}

/**
 * Resolves once `pred` holds, checked once per event-loop turn: for server-side state that follows
 * a socket's close on the other end, which no frame can order. The bound only limits a failure.
 */
export async function eventually(pred: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
