// The attacker on the 1.x binary dialect (/ws, subprotocol pubkeeper-1.1 or pubkeeper-1.0).
import { expect } from 'vitest';
import { decodeV1Envelope } from '../../../src/protocol/pubkeeper-v1/codec.js';
import { decodeV1Frame, encodeV1Frame, encodeV1FrameJson, type V1Version } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { checkV1 } from './checks.js';
import { v1Frame } from './generators.js';
import { DEEP, withDeep } from './mutators.js';
import { deepValue, type DeepResult, type Rig } from './rig.js';
import type { Rng } from './rng.js';
import type { Ctx } from './setup.js';
import { binary, describeFrame, FuzzSocket, wireBytes, type OutFrame } from './socket.js';

function v1AnswersAuthenticated(version: V1Version, frame: OutFrame): boolean {
  if (!frame.binary) return false;
  const envelope = decodeV1Envelope(version, wireBytes(frame));
  return envelope.ok && envelope.value.id === V1Packet.CLIENT_AUTHENTICATE;
}

const V1_DEEP_TEMPLATES: readonly (readonly [number, unknown])[] = [
  [V1Packet.BREWER_REGISTER, { topic: 'fz.deep', brewer_id: 'fz-deep', brewer_config: { x: DEEP }, brews: [{ name: 'websocket' }] }],
  [V1Packet.PATRON_REGISTER, { topic: 'fz.**', patron_id: 'fz-deep', brews: [{ name: 'websocket', x: DEEP }] }],
  [V1Packet.ERROR, { message: DEEP }],
  [V1Packet.CLIENT_AUTHENTICATE, { token: DEEP }],
  [V1Packet.BREWS_REGISTER, { brews: DEEP }],
];

/**
 * The 1.x binary dialect on /ws; `authenticated: false` starts every socket unauthenticated. Refused
 * tokens count there as on the JSON dialect ([PK1-AUTH-3]: the third closes 4001), so an
 * unauthenticated socket carries at most two CLIENT_AUTHENTICATEs before its barrier, which
 * authenticates it, and the next batch gets a fresh socket.
 */
export class V1Rig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  readonly name: string;
  /** CLIENT_AUTHENTICATED frames received and CLIENT_AUTHENTICATEs sent, per socket. */
  private readonly answered = new Map<FuzzSocket, number>();
  private readonly expected = new Map<FuzzSocket, number>();

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly version: V1Version,
    private readonly authenticated: boolean,
  ) {
    this.name = `v1-${version}${authenticated ? '' : '-unauth'}`;
  }

  private async open(): Promise<FuzzSocket> {
    const protocol = this.version === '1.1' ? 'pubkeeper-1.1' : 'pubkeeper-1.0';
    const s = await FuzzSocket.open(`${this.name}#${this.sockets.length}`, this.ctx.t.url, [protocol], checkV1(this.version));
    s.tap((r) => {
      if (r.isBinary && r.data.length >= 2 && r.data.readUInt16LE(0) === V1Packet.CLIENT_AUTHENTICATED) this.answered.set(s, (this.answered.get(s) ?? 0) + 1);
    });
    expect(s.ws.protocol).toBe(protocol);
    this.sockets.push(s);
    return s;
  }

  async start(): Promise<void> {
    if (!this.authenticated) return;
    this.main = await this.open();
    await this.barrier();
  }

  private send(s: FuzzSocket, frame: OutFrame): void {
    s.send(frame);
    if (v1AnswersAuthenticated(this.version, frame)) this.expected.set(s, (this.expected.get(s) ?? 0) + 1);
  }

  /** CLIENT_AUTHENTICATE with the attacker's token is answered every time: its answer ends the batch. */
  private async barrierOn(s: FuzzSocket): Promise<void> {
    this.send(s, binary(encodeV1Frame(this.version, V1Packet.CLIENT_AUTHENTICATE, { token: this.ctx.token })));
    const expected = this.expected.get(s) ?? 0;
    await s.waitFor(() => (this.answered.get(s) ?? 0) >= expected, `CLIENT_AUTHENTICATED #${expected}`);
    expect(this.answered.get(s), `${s.name}: one CLIENT_AUTHENTICATED per CLIENT_AUTHENTICATE`).toBe(expected);
  }

  async barrier(): Promise<void> {
    if (this.main) await this.barrierOn(this.main);
  }

  private internalIn(s: FuzzSocket, from: number): boolean {
    return s.received.slice(from).some((r) => {
      const d = r.isBinary ? decodeV1Frame(this.version, r.data) : undefined;
      return d?.ok === true && d.value.id === V1Packet.ERROR && String(d.value.payload.message).startsWith('Internal error');
    });
  }

  async fuzz(frames: number): Promise<void> {
    const tokens = this.authenticated ? this.ctx.tokens : this.ctx.unauthTokens;
    let s = this.main;
    let auths = 0;
    let from = s?.received.length ?? 0;
    let sent: string[] = [];
    for (let i = 0; i < frames; i++) {
      s ??= await this.open();
      const frame = v1Frame(this.rng, this.version, tokens);
      sent.push(describeFrame(frame));
      this.send(s, frame);
      if (v1AnswersAuthenticated(this.version, frame)) auths++;
      const last = i === frames - 1;
      if (this.authenticated ? !last : auths < 2 && sent.length < 40 && !last) continue;
      await this.barrierOn(s);
      if (this.internalIn(s, from)) this.internal.push(`${s.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
      if (!this.authenticated) {
        await s.close(1000);
        s = undefined;
      }
      auths = 0;
      from = s?.received.length ?? 0;
      sent = [];
    }
  }

  async deep(): Promise<void> {
    const s = this.main;
    if (!s) return;
    for (let i = 0; i < 8; i++) {
      const d = deepValue(this.rng);
      const [id, template] = this.rng.pick(V1_DEEP_TEMPLATES);
      if (!d) continue;
      const json = withDeep(template, d.deep);
      const from = s.received.length;
      try {
        this.send(s, binary(encodeV1FrameJson(this.version, id, json)));
      } catch {
        continue; // too big for a v1.0 frame
      }
      await this.barrier();
      this.deepResults.push({ rig: this.name, depth: d.depth, frame: json.slice(0, 80), internal: this.internalIn(s, from) });
    }
  }
}
