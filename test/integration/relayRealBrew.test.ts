// The original JS brew (@pubkeeper/brew-websocket 5.0.4, CommonJS) with the real Brewer and Patron
// of @pubkeeper/protocol-v1-1 and the AES-CBC cipher, wired by hand as a discovery server would:
// the notify entries below are those of notes §3 (PATRON_NOTIFY to the brewer, BREWER_NOTIFY to
// the patron), passed to the same calls the client makes on receiving them (protocol.ts
// handlePatronNotify / handleBrewerNotify: `brew.connectX(target, entry)` then `target.add`).
import { createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeBrewFrame } from '../../src/protocol/relay/codec.js';
import { connect, eventually, startRelay } from '../helpers/relay.js';

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
    const decodedFrame = decodeBrewFrame(await raw.next());
    if (!decodedFrame.ok) throw new Error(decodedFrame.error.detail);
    const frame = decodedFrame.value;
    expect(frame.brewerId).toBe(brewer.id);
    const key = Buffer.from(brewer.config.cipher.key, 'hex');
    const decipher = createDecipheriv('aes-128-cbc', key, frame.payload.subarray(0, 16));
    const plain = Buffer.concat([decipher.update(frame.payload.subarray(16)), decipher.final()]);
    expect(JSON.parse(plain.toString('utf8'))).toEqual({ n: 2 });
    raw.ws.close(1000);
    await raw.closed;
  });
});
