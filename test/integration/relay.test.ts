import { createDecipheriv } from 'node:crypto';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigKey } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  decodeBrewFrame,
  encodeBrewFrame,
  encodeRelayFrame,
  RELAY_SUBPROTOCOL,
  RelayFrameType,
  topicHash,
} from '../../src/protocol/relay/codec.js';
import { BrewRelay } from '../../src/server/relay/brewRelay.js';

// Raw ws clients against a real BrewRelay on port 0 (protocol/relay.md), then the original JS brew.

type Flags = Partial<Record<ConfigKey, string | number>>;
interface Closed {
  code: number;
  reason: string;
}

async function startRelay(flags: Flags = {}): Promise<{ relay: BrewRelay; port: number }> {
  const config = loadConfig({ flags: { host: '127.0.0.1', relayPort: 0, ...flags } });
  const relay = new BrewRelay({ config, logger: silentLogger });
  const { port } = await relay.listen();
  onTestFinished(() => relay.close());
  return { relay, port };
}

/** A raw relay client: frames in a queue, awaited one by one; the close code as a promise. */
class RelayClient {
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

function openSocket(port: number, protocols: string[] = [RELAY_SUBPROTOCOL], path = '/', options: WebSocket.ClientOptions = {}): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, options);
  ws.on('error', () => undefined); // refusals are asserted through 'unexpected-response' / close
  onTestFinished(() => ws.terminate());
  return ws;
}

async function connect(port: number, options: WebSocket.ClientOptions = {}): Promise<RelayClient> {
  const ws = openSocket(port, [RELAY_SUBPROTOCOL], '/', options);
  const client = new RelayClient(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return client;
}

/** The HTTP status of a refused upgrade. */
function refusal(port: number, protocols: string[], path = '/'): Promise<number> {
  const ws = openSocket(port, protocols, path);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => reject(new Error(`upgrade accepted with "${ws.protocol}"`)));
  });
}

/**
 * Resolves once `pred` holds, checked once per event-loop turn: for server-side state that follows
 * a socket's close on the other end, which no frame can order. The bound only limits a failure.
 */
async function eventually(pred: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Joins `topic` (which holds `value` as its last value) and returns the first frame after it: a barrier. */
async function barrier(client: RelayClient, topic: string, value: Buffer): Promise<void> {
  client.join(topic);
  expect(await client.next()).toEqual(value);
}

describe('relay: connection', () => {
  it('RELAY-1 GET / is accepted with pubkeeper-1.0.0 echoed', async () => {
    const { port } = await startRelay();
    const c = await connect(port);
    expect(c.ws.protocol).toBe('pubkeeper-1.0.0');
  });

  it('RELAY-1 subprotocol: pubkeeper-1.0.0 first, else the first offer containing "1.0", else 400', async () => {
    const { port } = await startRelay();
    const preferred = openSocket(port, ['v-1.0', 'pubkeeper-1.0.0']);
    await new Promise((resolve) => preferred.once('open', resolve));
    expect(preferred.protocol).toBe('pubkeeper-1.0.0');
    const fallback = openSocket(port, ['foo', 'pubkeeper-1.0', 'bar-1.0']);
    await new Promise((resolve) => fallback.once('open', resolve));
    expect(fallback.protocol).toBe('pubkeeper-1.0');
    expect(await refusal(port, ['pubkeeper-1.1'])).toBe(400);
    expect(await refusal(port, [])).toBe(400);
  });

  it('RELAY-1 any other path is 404, a plain GET / is 426', async () => {
    const { port } = await startRelay();
    expect(await refusal(port, [RELAY_SUBPROTOCOL], '/ws')).toBe(404);
    expect(await refusal(port, [RELAY_SUBPROTOCOL], '/relay/')).toBe(404);
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(426);
  });
});

describe('relay: JOIN, LEAVE, PUBLISH', () => {
  it('RELAY-5 PUBLISH forwards the brew frame alone to every joined connection but the publisher', async () => {
    const { port } = await startRelay();
    const [pub, a, b, other] = await Promise.all([connect(port), connect(port), connect(port), connect(port)]);
    const mark = other.publish('mark', 'barrier'); // a last value for the barrier topic
    for (const c of [pub, a, b]) c.join('t'); // the publisher is in the pool too
    other.join('unrelated');
    // JOINs from different sockets race the PUBLISH below: settle them first with a barrier.
    await barrier(a, 'mark', mark);
    await barrier(b, 'mark', mark);
    await barrier(pub, 'mark-self', other.publish('mark-self', 'x'));
    const payload = pub.publish('t', '{"n":1}');
    expect(await a.next()).toEqual(payload); // no relay header: byte for byte the brew frame
    expect(await b.next()).toEqual(payload);
    // No echo: the publisher's next frame is the barrier's, not its own publication.
    const mark2 = other.publish('mark2', 'after');
    await barrier(pub, 'mark2', mark2);
    await barrier(other, 'mark2', mark2); // `other` joined another topic: nothing from `t`
  });

  it('RELAY-3 a late joiner gets the last value first; a repeated JOIN does not repeat it', async () => {
    const { port } = await startRelay();
    const [pub, late] = await Promise.all([connect(port), connect(port)]);
    pub.publish('t', 'first');
    const last = pub.publish('t', 'second'); // only the latest is kept
    const mark = pub.publish('mark', 'barrier');
    late.join('t');
    expect(await late.next()).toEqual(last);
    late.join('t');
    await barrier(late, 'mark', mark);
    const live = pub.publish('t', 'third');
    expect(await late.next()).toEqual(live);
    expect(decodeBrewFrame(live)).toMatchObject({ brewerId: 'ab'.repeat(16) });
  });

  it('RELAY-4 LEAVE stops delivery; LEAVE of a topic never joined is ignored', async () => {
    const { port } = await startRelay();
    const [pub, sub, watcher] = await Promise.all([connect(port), connect(port), connect(port)]);
    const mark = pub.publish('mark', 'barrier');
    sub.leave('never-joined');
    sub.join('t');
    watcher.join('t');
    await barrier(sub, 'mark', mark);
    await barrier(watcher, 'mark', mark);
    sub.leave('t');
    await barrier(sub, 'mark-2', pub.publish('mark-2', 'x')); // the LEAVE is processed
    const payload = pub.publish('t', 'after leave');
    expect(await watcher.next()).toEqual(payload); // the relay has handled the PUBLISH
    await barrier(sub, 'mark-3', pub.publish('mark-3', 'y'));
    expect(sub.received.some((f) => f.equals(payload))).toBe(false);
  });

  it('RELAY-6 a closed connection leaves every pool; empty pools go, last values stay, bounded oldest-first', async () => {
    const { relay, port } = await startRelay({ relayMaxLastValues: 2 });
    const [pub, gone, late] = await Promise.all([connect(port), connect(port), connect(port)]);
    gone.join('a');
    gone.join('b');
    const a = pub.publish('a', 'value a');
    expect(await gone.next()).toEqual(a);
    expect(relay.stats()).toMatchObject({ connections: 3, topics: 2, lastValues: 1 });
    gone.ws.close(1000);
    await gone.closed;
    await eventually(() => relay.stats().connections === 2);
    expect(relay.stats()).toMatchObject({ topics: 0, lastValues: 1 });
    const b = pub.publish('b', 'value b');
    const c = pub.publish('c', 'value c'); // evicts 'a', the oldest
    late.join('a');
    late.join('b');
    expect(await late.next()).toEqual(b); // nothing came for 'a', joined first
    late.join('c');
    expect(await late.next()).toEqual(c);
    expect(relay.stats()).toMatchObject({ lastValues: 2 });
  });
});

describe('relay: limits and close codes', () => {
  it('RELAY-7 a frame larger than relayMaxFrameBytes closes 1009; the others are unaffected', async () => {
    const { port } = await startRelay({ relayMaxFrameBytes: 1024 });
    const [big, pub, sub] = await Promise.all([connect(port), connect(port), connect(port)]);
    big.ws.send(encodeRelayFrame(RelayFrameType.PUBLISH, topicHash('t'), new Uint8Array(1024)));
    expect((await big.closed).code).toBe(1009);
    sub.join('t');
    await barrier(sub, 'mark', pub.publish('mark', 'x'));
    const payload = pub.publish('t', 'still fine');
    expect(await sub.next()).toEqual(payload);
  });

  it('RELAY-8 joining more than relayMaxTopicsPerConnection topics closes 1008 "Limit exceeded."', async () => {
    const { port } = await startRelay({ relayMaxTopicsPerConnection: 3 });
    const [c, pub] = await Promise.all([connect(port), connect(port)]);
    for (const topic of ['a', 'b', 'c', 'a']) c.join(topic); // a repeated JOIN does not count
    const mark = pub.publish('c', 'x');
    expect(await c.next()).toEqual(mark); // still open with 3 topics
    c.join('d');
    expect(await c.closed).toEqual({ code: 1008, reason: 'Limit exceeded.' });
  });

  it('RELAY-9 slow consumer: a receiver that stops reading is closed 1008 "Slow consumer." while a fast one gets every frame', async () => {
    const { relay, port } = await startRelay({ relayMaxUnsentBytes: 64 * 1024 });
    const [pub, slow, fast] = await Promise.all([connect(port), connect(port), connect(port)]);
    slow.join('big');
    fast.join('big');
    await barrier(slow, 'mark', pub.publish('mark', 'x'));
    await barrier(fast, 'mark-fast', pub.publish('mark-fast', 'x'));
    slow.ws.pause(); // stops reading: the kernel buffers fill, then the relay's
    const text = 'x'.repeat(256 * 1024);
    let sent = 0;
    // Publish until the relay has cut the slow one (it leaves `connections` at once); the cap
    // (100 MB) only bounds a failure.
    while (relay.stats().connections === 3 && sent < 400) {
      const payload = pub.publish('big', text);
      sent++;
      expect((await fast.next()).equals(payload)).toBe(true);
    }
    expect(relay.stats().connections).toBe(2);
    expect(fast.received.length).toBe(sent + 1); // + the barrier
    slow.ws.resume();
    expect(await slow.closed).toEqual({ code: 1008, reason: 'Slow consumer.' });
    expect(slow.received.length).toBeLessThan(sent + 1);
    const after = pub.publish('big', 'after');
    expect(await fast.next()).toEqual(after);
  });

  it('RELAY-10 undecodable frames are dropped: the connection and the others carry on', async () => {
    const { port } = await startRelay({ maxErrorsPer10s: 10 });
    const [bad, pub, sub] = await Promise.all([connect(port), connect(port), connect(port)]);
    const join = encodeRelayFrame(RelayFrameType.JOIN, topicHash('t'));
    const unknown = Buffer.from(join);
    unknown[0] = 9;
    const trailing = Buffer.concat([join, Buffer.from([0])]);
    const short = join.subarray(0, 20);
    const publishShort = encodeRelayFrame(RelayFrameType.PUBLISH, topicHash('t'), new Uint8Array(8)).subarray(0, 44);
    for (const frame of [unknown, trailing, short, publishShort, new Uint8Array(0)]) bad.ws.send(frame);
    bad.ws.send('a text frame'); // counted too
    bad.ws.send(Buffer.from([0xff, 0xfe]), { binary: false }); // invalid UTF-8 text: not a 1007 either
    sub.join('t');
    bad.join('t'); // still serves the connection that sent garbage
    await barrier(sub, 'mark', pub.publish('mark', 'x'));
    await barrier(bad, 'mark-bad', pub.publish('mark-bad', 'x'));
    const payload = pub.publish('t', 'fine');
    expect(await sub.next()).toEqual(payload);
    expect(await bad.next()).toEqual(payload);
  });

  it('RELAY-10 too many errors: more than maxErrorsPer10s undecodable frames close 1008 "Too many errors."', async () => {
    const { port } = await startRelay({ maxErrorsPer10s: 3 });
    const [bad, pub, sub] = await Promise.all([connect(port), connect(port), connect(port)]);
    sub.join('t');
    for (let i = 0; i < 4; i++) bad.ws.send(new Uint8Array(3));
    expect(await bad.closed).toEqual({ code: 1008, reason: 'Too many errors.' });
    await barrier(sub, 'mark', pub.publish('mark', 'x'));
    const payload = pub.publish('t', 'fine');
    expect(await sub.next()).toEqual(payload);
  });

  it('RELAY-11 a connection that stops answering pings is terminated; the others stay', async () => {
    const { relay, port } = await startRelay({ pingIntervalMs: 40, maxMissedPongs: 2 });
    const [mute, fine] = await Promise.all([connect(port, { autoPong: false }), connect(port)]);
    expect((await mute.closed).code).toBe(1006); // no close handshake
    await eventually(() => relay.stats().connections === 1);
    expect(fine.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('RELAY-11 close() closes every connection 1001 "Server shutting down." and stops listening', async () => {
    const { relay, port } = await startRelay();
    const [a, b] = await Promise.all([connect(port), connect(port)]);
    a.join('t');
    await relay.close();
    expect(await a.closed).toEqual({ code: 1001, reason: 'Server shutting down.' });
    expect(await b.closed).toEqual({ code: 1001, reason: 'Server shutting down.' });
    await relay.close(); // idempotent
    const ws = openSocket(port);
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});

// ---------------------------------------------------------------------------------------------
// The original JS brew (@pubkeeper/brew-websocket 5.0.4, CommonJS) with the real Brewer and Patron
// of @pubkeeper/protocol-v1-1 and the AES-CBC cipher, wired by hand as a discovery server would:
// the notify entries below are those of notes §3 (PATRON_NOTIFY to the brewer, BREWER_NOTIFY to
// the patron), passed to the same calls the client makes on receiving them (protocol.ts
// handlePatronNotify / handleBrewerNotify: `brew.connectX(target, entry)` then `target.add`).

interface JsBrewer {
  readonly id: string;
  readonly config: { cipher: { key: string; mode: number } };
  add(conn: unknown, entry: object): void;
  brewJSON(value: unknown): Promise<void>;
  disconnect(): void;
}
interface JsPatron {
  readonly id: string;
  add(conn: unknown, entry: object): void;
  on(event: 'message', listener: (bytes: Uint8Array, meta: { topic: string; from: string }) => void): void;
  disconnect(): void;
}
interface JsProtocol {
  addBrewer(token: symbol, args: [string, object, undefined], sendNow: boolean): JsBrewer;
  addPatron(token: symbol, args: [string, object, undefined], sendNow: boolean): JsPatron;
}
interface JsBrew {
  readonly brewerConfig: Record<string, unknown>;
  connectBrewer(brewer: JsBrewer, entry: object): unknown;
  connectPatron(patron: JsPatron, entry: object): unknown;
  on(event: 'error', listener: (err: Error) => void): void;
}

const require = createRequire(import.meta.url);
const { WebSocketBrew } = require('@pubkeeper/brew-websocket') as { WebSocketBrew: new (cfg: object) => JsBrew };
const { PubkeeperProtocol_v1_1 } = require('@pubkeeper/protocol-v1-1') as {
  PubkeeperProtocol_v1_1: [string, new (config: object, actions: object) => JsProtocol];
};
const { PubkeeperAesCbcCrypto } = require('@pubkeeper/crypto-cjs-aes-cbc') as { PubkeeperAesCbcCrypto: [number, unknown] };

describe('relay: the original JS brew', () => {
  it('RELAY-5 a real brew brewer publishes encrypted JSON that a real brew patron decrypts through the relay', async () => {
    const { relay, port } = await startRelay();
    const sockets: WebSocket[] = [];
    const errors: Error[] = [];
    // The brew calls addEventListener only; a ws socket also needs an 'error' listener (notes §1.1).
    class NodeWS extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        this.on('error', (err) => errors.push(err));
        sockets.push(this);
      }
    }
    const [mode, cipher] = PubkeeperAesCbcCrypto;
    // What default-cipher-helpers' setDefault() builds: the Brewer takes its cipher from this key.
    const crypto = new Map<unknown, unknown>([
      [Symbol.for('Pubkeeper.defaultCipher'), cipher],
      [mode, cipher],
    ]);
    const Protocol = PubkeeperProtocol_v1_1[1];
    const actions = { send: () => undefined, error: (err: Error) => errors.push(err), fail: () => undefined, ready: () => undefined };
    // Two brew instances, as in two processes: one brew would loop the message back locally.
    const brewerBrew = new WebSocketBrew({ brewerConfig: { hostname: '127.0.0.1', port, secure: false }, WebSocket: NodeWS });
    const patronBrew = new WebSocketBrew({ WebSocket: NodeWS });
    for (const brew of [brewerBrew, patronBrew]) brew.on('error', (err) => errors.push(err));
    const brewerSide = new Protocol({ jwt: 'unused', brews: [brewerBrew], crypto }, actions);
    const patronSide = new Protocol({ jwt: 'unused', brews: [patronBrew], crypto }, actions);
    const brewer = brewerSide.addBrewer(Symbol('brewer'), ['relay.smoke', {}, undefined], false);
    const patron = patronSide.addPatron(Symbol('patron'), ['relay.*', {}, undefined], false);
    onTestFinished(async () => {
      // Close 1000 from the brew side first: a 1001 from the relay would make it reconnect.
      patron.disconnect();
      brewer.disconnect();
      await Promise.all(
        sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => ws.once('close', resolve)))),
      );
      await eventually(() => relay.stats().connections === 0);
    });

    const received: { value: unknown; from: string }[] = [];
    const waiters: (() => void)[] = [];
    patron.on('message', (bytes, meta) => {
      received.push({ value: JSON.parse(Buffer.from(bytes).toString('utf8')), from: meta.from });
      waiters.shift()?.();
    });
    const nextMessage = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));

    const patronEntry = { topic: 'relay.smoke', patron_id: patron.id, brew: { name: 'websocket' } };
    brewer.add(brewerBrew.connectBrewer(brewer, patronEntry), patronEntry);
    const brewerEntry = { topic: 'relay.smoke', brewer_id: brewer.id, brewer_config: brewer.config, brew: brewerBrew.brewerConfig };
    expect(brewerEntry.brew).toEqual({ name: 'websocket', hostname: '127.0.0.1', port, secure: false });
    patron.add(patronBrew.connectPatron(patron, brewerEntry), brewerEntry);

    // The first brew may well reach the relay before the patron's JOIN: the last value covers it.
    let first = nextMessage();
    await brewer.brewJSON({ n: 1, text: 'héllo' });
    await first;
    first = nextMessage();
    await brewer.brewJSON({ n: 2 });
    await first;
    expect(received).toEqual([
      { value: { n: 1, text: 'héllo' }, from: brewer.id },
      { value: { n: 2 }, from: brewer.id },
    ]);
    expect(errors).toEqual([]);
    expect(sockets.map((ws) => ws.protocol)).toEqual(['pubkeeper-1.0.0', 'pubkeeper-1.0.0']);

    // Independently of crypto-js: the forwarded brew frame decrypts with Node's AES-128-CBC.
    const raw = await connect(port);
    raw.join('relay.smoke');
    const frame = decodeBrewFrame(await raw.next());
    if ('error' in frame) throw new Error(frame.error);
    expect(frame.brewerId).toBe(brewer.id);
    const key = Buffer.from(brewer.config.cipher.key, 'hex');
    const decipher = createDecipheriv('aes-128-cbc', key, frame.payload.subarray(0, 16));
    const plain = Buffer.concat([decipher.update(frame.payload.subarray(16)), decipher.final()]);
    expect(JSON.parse(plain.toString('utf8'))).toEqual({ n: 2 });
    raw.ws.close(1000);
    await raw.closed;
  });
});
