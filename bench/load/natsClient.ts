// A minimal NATS client for the load generator, over plain TCP: CONNECT, SUB, PUB, PING/PONG, and
// MSG lines counted without building strings for them.
import { connect, type Socket } from 'node:net';
import { resumeParse, type ParseState } from './resumeParse.js';

const CR = 13;
const LF = 10;

export class NatsClient implements ParseState {
  /** Called once per MSG received. */
  onMessage: () => void = () => {};
  pending: Buffer | null = null;
  /** Bytes of a MSG payload (and its CRLF) still to skip. */
  skip = 0;
  private pongs: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static open(port: number): Promise<NatsClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      const client = new NatsClient(socket);
      socket.once('connect', () => {
        socket.write('CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n');
        client
          .ping()
          .then(() => {
            socket.off('error', reject);
            socket.on('error', () => {});
            resolve(client);
          })
          .catch(reject);
      });
    });
  }

  /** SUB, then a PING whose PONG says the server has it. */
  subscribe(subject: string, sid: number): Promise<void> {
    this.socket.write(`SUB ${subject} ${sid}\r\n`);
    return this.ping();
  }

  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.pongs.push(resolve);
      this.socket.write('PING\r\n');
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const resumed = resumeParse(this, chunk);
    const { buf } = resumed;
    let { off } = resumed;
    while (off < buf.length) {
      const eol = buf.indexOf(LF, off);
      if (eol < 0) break;
      const end = eol > off && buf[eol - 1] === CR ? eol - 1 : eol;
      const first = buf[off];
      if (first === 0x4d /* M */) {
        // MSG <subject> <sid> [reply-to] <#bytes>: the size is the last field.
        let size = 0;
        let scale = 1;
        for (let i = end - 1; i > off && buf[i] !== 0x20; i--, scale *= 10) size += ((buf[i] ?? 48) - 48) * scale;
        off = eol + 1;
        this.onMessage();
        const need = size + 2;
        const available = buf.length - off;
        if (available < need) {
          this.skip = need - available;
          off = buf.length;
          break;
        }
        off += need;
        continue;
      }
      const line = buf.toString('latin1', off, end);
      off = eol + 1;
      if (line === 'PING') this.socket.write('PONG\r\n');
      else if (line === 'PONG') this.pongs.shift()?.();
      else if (line.startsWith('-ERR')) console.error(`nats-server: ${line}`);
      // INFO and +OK need nothing.
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }
}

/** `PUB <subject> <n>\r\n<payload>\r\n` */
export function natsPub(subject: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`PUB ${subject} ${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
}
