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

/** The 1.x binary dialect on /ws. */
export class V1Rig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  private expectedAuth = 0;
  readonly name: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly version: V1Version,
    private readonly authenticated: boolean,
  ) {
    this.name = `v1-${version}${authenticated ? '' : '-unauth'}`;
  }

  /** CLIENT_AUTHENTICATED frames received, counted as they come. */
  private answered = 0;

  async start(): Promise<void> {
    const protocol = this.version === '1.1' ? 'pubkeeper-1.1' : 'pubkeeper-1.0';
    const s = await FuzzSocket.open(this.name, this.ctx.t.url, [protocol], checkV1(this.version));
    s.tap((r) => {
      if (r.isBinary && r.data.length >= 2 && r.data.readUInt16LE(0) === V1Packet.CLIENT_AUTHENTICATED) this.answered++;
    });
    expect(s.ws.protocol).toBe(protocol);
    this.sockets.push(s);
    this.main = s;
    if (this.authenticated) await this.barrier();
  }

  private send(s: FuzzSocket, frame: OutFrame): void {
    s.send(frame);
    if (v1AnswersAuthenticated(this.version, frame)) this.expectedAuth++;
  }

  /** CLIENT_AUTHENTICATE is answered every time (never closing): its answer ends the batch. */
  async barrier(): Promise<void> {
    const s = this.main;
    if (!s) return;
    const token = this.authenticated ? this.ctx.token : 'not-a-token';
    this.send(s, binary(encodeV1Frame(this.version, V1Packet.CLIENT_AUTHENTICATE, { token })));
    const expected = this.expectedAuth;
    await s.waitFor(() => this.answered >= expected, `CLIENT_AUTHENTICATED #${expected}`);
    expect(this.answered, `${s.name}: one CLIENT_AUTHENTICATED per CLIENT_AUTHENTICATE`).toBe(expected);
  }

  private internalIn(s: FuzzSocket, from: number): boolean {
    return s.received.slice(from).some((r) => {
      const d = r.isBinary ? decodeV1Frame(this.version, r.data) : undefined;
      return d?.ok === true && d.value.id === V1Packet.ERROR && String(d.value.payload.message).startsWith('Internal error');
    });
  }

  async fuzz(frames: number): Promise<void> {
    const s = this.main;
    if (!s) return;
    const from = s.received.length;
    const sent: string[] = [];
    const tokens = this.authenticated ? this.ctx.tokens : this.ctx.unauthTokens;
    for (let i = 0; i < frames; i++) {
      const frame = v1Frame(this.rng, this.version, tokens);
      sent.push(describeFrame(frame));
      this.send(s, frame);
    }
    await this.barrier();
    if (this.internalIn(s, from)) this.internal.push(`${this.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
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
