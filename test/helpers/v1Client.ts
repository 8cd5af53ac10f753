import WebSocket from 'ws';
import { onTestFinished } from 'vitest';
import { decodeV1Frame, encodeV1Frame, type V1Version } from '../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../src/protocol/pubkeeper-v1/packets.js';

export type V1In = [number, Record<string, unknown>];

/**
 * A raw 1.x binary-dialect client for conformance tests: frames built and read with the project's
 * codec, every received packet recorded in order.
 */
export class V1RawClient {
  readonly received: V1In[] = [];
  /** Packets already handed out by `next`, so each is matched once. */
  private readonly consumed = new WeakSet<V1In>();
  private readonly waiters: { pred: (p: V1In) => boolean; resolve: (p: V1In) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly socket: WebSocket,
    readonly version: V1Version,
  ) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error('the server sent a text frame on the 1.x dialect');
      const frame = decodeV1Frame(version, data);
      if (!frame.ok) throw new Error(`undecodable frame from the server: ${frame.error.message}`);
      const packet: V1In = [frame.value.id, frame.value.payload];
      this.received.push(packet);
      const waiter = this.waiters.find((w) => w.pred(packet));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(packet);
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async connect(url: string, protocols: string[] = ['pubkeeper-1.1', 'pubkeeper-1.0']): Promise<V1RawClient> {
    const socket = new WebSocket(url, protocols);
    onTestFinished(() => socket.terminate());
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const version: V1Version = socket.protocol === 'pubkeeper-1.0' ? '1.0' : '1.1';
    return new V1RawClient(socket, version);
  }

  send(id: number, payload: object): void {
    this.socket.send(encodeV1Frame(this.version, id, payload));
  }

  sendRaw(data: Uint8Array | string): void {
    this.socket.send(data);
  }

  /** The next received packet matching `pred` (already received ones count, oldest first). */
  next(pred: (p: V1In) => boolean, ms = 5000): Promise<V1In> {
    const already = this.received.find((p) => !this.consumed.has(p) && pred(p));
    if (already) {
      this.consumed.add(already);
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching 1.x packet in time')), ms);
      this.waiters.push({
        pred,
        resolve: (p) => {
          clearTimeout(timer);
          this.consumed.add(p);
          resolve(p);
        },
      });
    });
  }

  /** Authenticates and waits for CLIENT_AUTHENTICATED. */
  async authenticate(token: string): Promise<boolean> {
    const answer = this.next((p) => p[0] === V1Packet.CLIENT_AUTHENTICATED);
    this.send(V1Packet.CLIENT_AUTHENTICATE, { token });
    return (await answer)[1].authenticated === true;
  }

  /**
   * Everything processed so far has been answered once this resolves: a CLIENT_AUTHENTICATE with
   * the same token is answered in order.
   */
  async sync(token: string): Promise<void> {
    await this.authenticate(token);
  }

  /** Received packets other than CLIENT_AUTHENTICATED. */
  packets(): V1In[] {
    return this.received.filter((p) => p[0] !== V1Packet.CLIENT_AUTHENTICATED);
  }
}
