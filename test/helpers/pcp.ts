import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';
import type { PcpClient, PcpV2Message } from '../../src/client/pcpClient.js';
import { nextEvent } from './nextEvent.js';
import { decodeV1, encodeV1 } from '../../src/protocol/pcp-v1/codec.js';
import type { OutgoingMessage, PcpMessage } from '../../src/protocol/pcp/message.js';

/** Resolves with the next message matching `pred`; the timeout only bounds a failure. */
export function nextMessage(client: PcpClient, pred: (m: PcpV2Message) => boolean = () => true, ms = 5000): Promise<PcpV2Message> {
  return nextEvent<PcpV2Message>(client, 'message', pred, ms, 'PCP message');
}

export function recordMessages(client: PcpClient): PcpV2Message[] {
  const seen: PcpV2Message[] = [];
  client.on('message', (m) => seen.push(m));
  return seen;
}

/** Sends a raw v2 frame and resolves with the error_message answering it. */
export async function v2ErrorFor(client: PcpClient, frame: string | Buffer): Promise<PcpV2Message> {
  const answer = nextMessage(client, (m) => m.message_type === 'http://puppetlabs.com/error_message');
  client.sendRaw(frame);
  return answer;
}

export const uuid = (): string => randomUUID();

/** A raw PCP v1 client: binary chunked frames, decoded with the project's codec. */
export class V1Client {
  readonly received: PcpMessage[] = [];
  private readonly waiters: { pred: (m: PcpMessage) => boolean; resolve: (m: PcpMessage) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly socket: WebSocket,
    readonly uri: string,
  ) {
    socket.on('message', (data: Buffer) => {
      const decoded = decodeV1(data);
      if (!decoded.ok) throw new Error(`server sent an undecodable v1 frame: ${decoded.error.detail}`);
      this.received.push(decoded.value);
      const i = this.waiters.findIndex((w) => w.pred(decoded.value));
      if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(decoded.value);
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Without a token (`undefined`), `ws` carries a client certificate (TLS suites). */
  static connect(base: string, token: string | undefined, sub: string, type = 'agent', ws: WebSocket.ClientOptions = {}): Promise<V1Client> {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const socket = new WebSocket(`${base}/pcp/v1.0/${type}`, { ...ws, headers });
    onTestFinished(() => socket.terminate());
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new V1Client(socket, `pcp://${sub}/${type}`)));
      socket.once('error', reject);
    });
  }

  send(message: Omit<OutgoingMessage, 'sender'> & { sender?: string; targets?: string[] }): string {
    this.socket.send(encodeV1({ sender: this.uri, ...message }));
    return message.id;
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  next(pred: (m: PcpMessage) => boolean = () => true, ms = 5000): Promise<PcpMessage> {
    const already = this.received.find(pred);
    if (already) {
      this.received.splice(this.received.indexOf(already), 1);
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching v1 message in time')), ms);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }
}
