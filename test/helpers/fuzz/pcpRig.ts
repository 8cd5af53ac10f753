// The attacker on PCP (/pcp/v2.0 in JSON text, /pcp/v1.0 in binary chunks).
import { BROKER_URI, MessageType, type PcpMessage } from '../../../src/protocol/pcp/message.js';
import { writeChunks } from '../../../src/protocol/pcp-v1/chunks.js';
import { checkPcpV1, checkPcpV2, parsedV1, parsedV2 } from './checks.js';
import { isoIn, pcpV1Frame, pcpV2Frame } from './generators.js';
import { DEEP, toJson, withDeep } from './mutators.js';
import { deepValue, type DeepResult, type Rig } from './rig.js';
import type { Rng } from './rng.js';
import { V1_URI, V2_URI, type Ctx } from './setup.js';
import { binary, describeFrame, FuzzSocket, text, wireBytes, type OutFrame, type Received } from './socket.js';

const PCP_DEEP_TEMPLATES = (own: string): { message_type: string; target?: string; data: unknown }[] => [
  { message_type: 'x/y', target: own, data: DEEP },
  { message_type: MessageType.INVENTORY_REQUEST, data: { query: [DEEP] } },
  { message_type: MessageType.PK_BREWER_REGISTER, data: { topic: 'fz.deep', brewer: { uuid: 'fz-deep', x: DEEP } } },
  { message_type: MessageType.ASSOCIATE_REQUEST, data: DEEP },
  { message_type: MessageType.PK_SUBSCRIBE, data: { topic: DEEP } },
];

/** PCP v2 (JSON text) or v1 (binary chunks). */
export class PcpRig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  readonly name: string;
  private readonly uri: string;
  private barriers = 0;
  /** in_reply_to of every message received, collected as they come. */
  private readonly replies = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly version: 'v1' | 'v2',
  ) {
    this.name = `pcp-${version}`;
    this.uri = version === 'v2' ? V2_URI : V1_URI;
  }

  private parse(r: Received): PcpMessage | undefined {
    return this.version === 'v2' ? parsedV2(r) : parsedV1(r);
  }

  async start(): Promise<void> {
    const type = this.version === 'v2' ? 'v2atk' : 'v1atk';
    const check = this.version === 'v2' ? checkPcpV2(this.uri) : checkPcpV1(this.uri);
    const s = await FuzzSocket.open(this.name, `${this.ctx.t.base}/pcp/${this.version}.0/${type}`, [], check, {
      headers: { authorization: `Bearer ${this.ctx.token}` },
    });
    s.tap((r) => {
      const inReplyTo = this.parse(r)?.in_reply_to;
      if (inReplyTo !== undefined) this.replies.add(inReplyTo);
    });
    this.sockets.push(s);
    this.main = s;
    await this.barrier();
  }

  private encode(message: Record<string, unknown>): OutFrame {
    if (this.version === 'v2') return text(toJson(message));
    const { data, target, in_reply_to: inReplyTo, ...rest } = message;
    const envelope = { ...rest, expires: isoIn(60_000), targets: [target ?? BROKER_URI], sender: this.uri, ...(inReplyTo ? { 'in-reply-to': inReplyTo } : {}) };
    return binary(writeChunks(Buffer.from(toJson(envelope)), Buffer.from(data === undefined ? '' : toJson(data))));
  }

  /** associate_request with a fresh id: the broker answers in order, in reply to that id. */
  async barrier(): Promise<void> {
    const s = this.main;
    if (!s) return;
    const id = `b0000000-0000-4000-8000-${String(++this.barriers).padStart(12, '0')}`;
    s.send(this.encode({ id, message_type: MessageType.ASSOCIATE_REQUEST, target: BROKER_URI }));
    await s.waitFor(() => this.replies.has(id), `associate_response to ${id}`);
  }

  private internalAnswers(s: FuzzSocket, from: number): PcpMessage[] {
    return s.received
      .slice(from)
      .map((r) => this.parse(r))
      .filter((m): m is PcpMessage => m?.sender === BROKER_URI && m.message_type === MessageType.ERROR && m.data === 'Internal error');
  }

  async fuzz(frames: number): Promise<void> {
    const s = this.main;
    if (!s) return;
    const from = s.received.length;
    const sent = new Map<string, string>();
    for (let i = 0; i < frames; i++) {
      const frame = this.version === 'v2' ? pcpV2Frame(this.rng, this.ctx.tokens) : pcpV1Frame(this.rng, this.ctx.tokens);
      s.send(frame);
      const id = /"id":"([0-9a-f-]{36})"/.exec(wireBytes(frame).toString('latin1'))?.[1];
      if (id) sent.set(id, describeFrame(frame));
    }
    await this.barrier();
    for (const m of this.internalAnswers(s, from)) {
      this.internal.push(`${this.name}: "Internal error" in reply to ${m.in_reply_to ?? '(no id)'}: ${sent.get(m.in_reply_to ?? '') ?? '(frame not identified)'}`);
    }
  }

  async deep(): Promise<void> {
    const s = this.main;
    if (!s) return;
    for (let i = 0; i < 8; i++) {
      const d = deepValue(this.rng);
      const { data, target, ...rest } = this.rng.pick(PCP_DEEP_TEMPLATES(this.uri));
      if (!d) continue;
      const head = { id: this.rng.uuid(), ...rest };
      let frame: OutFrame;
      if (this.version === 'v2') frame = text(withDeep({ ...head, ...(target ? { target } : {}), data }, d.deep));
      else {
        const envelope = { ...head, expires: isoIn(60_000), targets: [target ?? BROKER_URI], sender: this.uri };
        frame = binary(writeChunks(Buffer.from(toJson(envelope)), Buffer.from(withDeep(data, d.deep))));
      }
      const from = s.received.length;
      s.send(frame);
      await this.barrier();
      this.deepResults.push({ rig: this.name, depth: d.depth, frame: describeFrame(frame, 80), internal: this.internalAnswers(s, from).length > 0 });
    }
  }
}
