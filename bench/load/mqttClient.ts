// A minimal MQTT 3.1.1 client for the load generator, over plain TCP: CONNECT (clean session, no
// keep-alive), SUBSCRIBE at QoS 0, PUBLISH at QoS 0, and PUBLISH packets counted as they arrive.
import { connect, type Socket } from 'node:net';
import { resumeParse, type ParseState } from './resumeParse.js';

const CONNACK = 2;
const PUBLISH = 3;
const SUBACK = 9;

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function mqttPublish(topic: string, payload: Buffer): Buffer {
  return packet(0x30, Buffer.concat([utf8(topic), payload]));
}

export class MqttClient implements ParseState {
  /** Called once per PUBLISH received. */
  onMessage: () => void = () => {};
  pending: Buffer | null = null;
  skip = 0;
  private waiting: { type: number; resolve: () => void }[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static open(port: number, clientId: string): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      const client = new MqttClient(socket);
      socket.once('connect', () => {
        const variable = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 0])]);
        const connected = client.next(CONNACK);
        socket.write(packet(0x10, Buffer.concat([variable, utf8(clientId)])));
        void connected.then(() => {
          socket.off('error', reject);
          socket.on('error', () => {});
          resolve(client);
        });
      });
    });
  }

  /** SUBSCRIBE at QoS 0; resolves on the SUBACK. */
  subscribe(filter: string): Promise<void> {
    const acked = this.next(SUBACK);
    this.socket.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(filter), Buffer.from([0])])));
    return acked;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private next(type: number): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ type, resolve }));
  }

  private receive(chunk: Buffer): void {
    const resumed = resumeParse(this, chunk);
    const { buf } = resumed;
    let { off } = resumed;
    while (off < buf.length) {
      const start = off;
      const type = (buf[off] ?? 0) >> 4;
      let length = 0;
      let multiplier = 1;
      let i = off + 1;
      let complete = false;
      for (; i < buf.length && i < off + 5; i++) {
        const byte = buf[i] ?? 0;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) break;
      const available = buf.length - i;
      if (type !== PUBLISH && available < length) {
        off = start; // keep a control packet whole
        break;
      }
      if (type === PUBLISH) this.onMessage();
      else {
        const waiter = this.waiting.findIndex((w) => w.type === type);
        if (waiter >= 0) this.waiting.splice(waiter, 1)[0]?.resolve();
      }
      if (available < length) {
        this.skip = length - available;
        off = buf.length;
        break;
      }
      off = i + length;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }
}
