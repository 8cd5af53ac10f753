// The load generator's side of the cluster benchmark: brewer sessions that write registrations and
// wait on a barrier, and one subscriber on `bench.**` that reports every BREWER_NOTIFY and
// BREWER_REMOVED. All are raw JSON-dialect sessions (load/rawWs.ts), not the SDK, so that the
// load generator's parsing does not set the pace (BENCHMARKS.md, "Load-generator clients").
import { clientFrame, type RawWs } from '../load/rawWs.js';
import { jsonSession } from '../targets/pubkeeper.js';
import { brewerObject, EVENT_TOPIC } from '../targets/target.js';

export const NOTIFY = 12;
export const REMOVED = 13;

const AUTHENTICATED = '[2,{"authenticated":true}]';

/** A BREWER_REGISTER (`add`) or BREWER_UNREGISTER of the brewer `uuid`, framed for `RawWs.write`. */
export function brewerFrame(add: boolean, uuid: string): Buffer {
  const request = add ? [10, { topic: EVENT_TOPIC, brewer: { ...brewerObject(0), uuid } }] : [11, { topic: EVENT_TOPIC, brewer: uuid }];
  return clientFrame(JSON.stringify(request));
}

/** A brewer session: it writes requests and gets nothing back but the answers to its barriers. */
export class BrewerSession {
  /** Called with what went wrong: an ERROR or any other unexpected answer, the session's end. */
  onFailure: (error: Error) => void = () => {};
  private readonly barriers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  private closing = false;

  private constructor(
    private readonly ws: RawWs,
    private readonly token: string,
  ) {
    ws.onFrame = (payload) => {
      const text = payload.toString();
      if (text === AUTHENTICATED) this.barriers.shift()?.resolve();
      else this.fail(new Error(`pubkeeper answered a brewer session: ${text}`));
    };
    void ws.closed.then(() => {
      if (!this.closing) this.fail(new Error('a brewer session was closed by the server'));
    });
  }

  static async open(port: number, token: string): Promise<BrewerSession> {
    return new BrewerSession(await jsonSession(port, token), token);
  }

  write(frames: Buffer): void {
    this.ws.write(frames);
  }

  /**
   * Resolves once the server has handled every frame written before. The dialect has no
   * acknowledgement, but an AUTHENTICATE is answered in order, and a cluster node holds a
   * session's next frame until its write is applied, so the answer is the barrier (as the SDK's
   * `sync()` does it).
   */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const answered = new Promise<void>((resolve, reject) => this.barriers.push({ resolve, reject }));
    this.ws.send(JSON.stringify([1, { token: this.token }]));
    return answered;
  }

  close(): void {
    this.closing = true;
    this.ws.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const barrier of this.barriers.splice(0)) barrier.reject(error);
    this.onFailure(error);
  }
}

/** Called for every BREWER_NOTIFY or BREWER_REMOVED; `payload` is only valid during the call. */
export type EventSink = (packet: typeof NOTIFY | typeof REMOVED, payload: Buffer) => void;

/** The subscriber: one session subscribed to `bench.**`, whose events go to `onEvent`. */
export class Subscriber {
  onEvent: EventSink = () => {};
  /** Called once with what went wrong: an ERROR, an unexpected frame, the session's end. */
  onFailure: (error: Error) => void = () => {};

  private closing = false;

  private constructor(private readonly ws: RawWs) {
    ws.onFrame = (payload) => {
      // `[12,` or `[13,`: read from the bytes, so that thousands of events cost no JSON.parse.
      const packet = payload[1] === 0x31 && payload[3] === 0x2c ? 10 + (payload[2] ?? 0) - 0x30 : 0;
      if (packet === NOTIFY || packet === REMOVED) this.onEvent(packet, payload);
      else this.onFailure(new Error(`the subscriber got an unexpected frame: ${payload.toString()}`));
    };
    void ws.closed.then(() => {
      if (!this.closing) this.onFailure(new Error('the subscriber was closed by the server'));
    });
  }

  /** Resolves once the server holds the subscription (a barrier after the SUBSCRIBE). */
  static async open(port: number, token: string): Promise<Subscriber> {
    const ws = await jsonSession(port, token);
    const subscribed = new Promise<string>((resolve) => (ws.onFrame = (payload) => resolve(payload.toString())));
    ws.send(JSON.stringify([20, { topic: 'bench.**' }]));
    ws.send(JSON.stringify([1, { token }]));
    const answer = await subscribed;
    if (answer !== AUTHENTICATED) throw new Error(`the subscriber's SUBSCRIBE was answered ${answer}`);
    return new Subscriber(ws);
  }

  close(): void {
    this.closing = true;
    this.ws.destroy();
  }
}

/** The digits after `"uuid":"w` up to the `-`: which writer a `w<writer>-<n>` brewer belongs to. */
const WRITER_MARK = Buffer.from('"uuid":"w');

export function writerUuid(writer: number, n: number): string {
  return `w${writer}-${n}`;
}

export function writerOf(payload: Buffer): number {
  const at = payload.indexOf(WRITER_MARK);
  if (at < 0) return -1;
  let writer = 0;
  for (let i = at + WRITER_MARK.length; i < payload.length && payload[i] !== 0x2d; i++) writer = writer * 10 + (payload[i] ?? 0) - 0x30;
  return writer;
}
