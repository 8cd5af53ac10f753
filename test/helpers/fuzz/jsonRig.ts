// The attacker on the JSON dialect (/ws, subprotocol pubkeeper.n.io or none).
import { expect } from 'vitest';
import { decodeEnvelope } from '../../../src/protocol/pubkeeper/codec.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { checkJson } from './checks.js';
import { jsonFrame } from './generators.js';
import { DEEP, withDeep } from './mutators.js';
import { deepValue, type DeepResult, type Rig } from './rig.js';
import type { Rng } from './rng.js';
import type { Ctx } from './setup.js';
import { describeFrame, FuzzSocket, text, wireText, type OutFrame } from './socket.js';

/** Does the server answer this frame with AUTHENTICATED? (An envelope `[1, {…}]` in a text frame.) */
function jsonAnswersAuthenticated(frame: OutFrame): boolean {
  if (frame.binary) return false;
  const textOf = wireText(frame);
  if (textOf === undefined) return false;
  const envelope = decodeEnvelope(textOf);
  return envelope.ok && envelope.value.id === Packet.AUTHENTICATE;
}

const JSON_DEEP_TEMPLATES = [
  [10, { topic: 'fz.deep', brewer: { uuid: 'fz-deep', x: DEEP } }],
  [10, { topic: 'fz.deep2', brewer: { uuid: 'fz-deep2', brews: [{ name: 'websocket', x: DEEP }] } }],
  [11, { topic: 'fz.deep', brewer: { uuid: 'fz-deep', x: DEEP } }],
  [20, { topic: DEEP }],
  [1, { token: DEEP }],
  [10, DEEP],
  DEEP,
];

/** The JSON dialect; `authenticated: false` starts every socket unauthenticated. */
export class JsonRig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  private expectedAuth = 0;
  readonly name: string;

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
    private readonly authenticated: boolean,
  ) {
    this.name = authenticated ? 'json' : 'json-unauth';
  }

  private readonly answered = new Map<FuzzSocket, number>();

  private authAnswers(s: FuzzSocket): number {
    return this.answered.get(s) ?? 0;
  }

  private async open(protocols: string[]): Promise<FuzzSocket> {
    const s = await FuzzSocket.open(`${this.name}#${this.sockets.length}`, this.ctx.t.url, protocols, checkJson);
    const marker = Buffer.from(`[${Packet.AUTHENTICATED},`);
    s.tap((r) => {
      if (!r.isBinary && r.data.subarray(0, marker.length).equals(marker)) this.answered.set(s, this.authAnswers(s) + 1);
    });
    this.sockets.push(s);
    this.expectedAuth = 0;
    return s;
  }

  async start(): Promise<void> {
    if (!this.authenticated) return;
    const s = await this.open(['pubkeeper.n.io']);
    expect(s.ws.protocol).toBe('pubkeeper.n.io');
    this.main = s;
    await this.barrierOn(s);
  }

  private send(s: FuzzSocket, frame: OutFrame): void {
    s.send(frame);
    if (jsonAnswersAuthenticated(frame)) this.expectedAuth++;
  }

  /** AUTHENTICATE with the attacker's token: its AUTHENTICATED is the last answer of the batch. */
  private async barrierOn(s: FuzzSocket): Promise<void> {
    this.send(s, text(JSON.stringify([Packet.AUTHENTICATE, { token: this.ctx.token }])));
    const expected = this.expectedAuth;
    await s.waitFor(() => this.authAnswers(s) >= expected, `AUTHENTICATED #${expected}`);
    expect(this.authAnswers(s), `${s.name}: one AUTHENTICATED per AUTHENTICATE`).toBe(expected);
  }

  private internalIn(s: FuzzSocket, from: number): boolean {
    return s.received.slice(from).some((r) => r.data.toString().startsWith('[99,{"message":"Internal error'));
  }

  async fuzz(frames: number): Promise<void> {
    if (this.authenticated && this.main) {
      const s = this.main;
      const from = s.received.length;
      const sent: string[] = [];
      for (let i = 0; i < frames; i++) {
        const frame = jsonFrame(this.rng, this.ctx.tokens);
        sent.push(describeFrame(frame));
        this.send(s, frame);
      }
      await this.barrierOn(s);
      if (this.internalIn(s, from)) this.internal.push(`${this.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
      return;
    }
    // Unauthenticated: three refused AUTHENTICATEs close 4001, so a socket carries at most two
    // before its barrier (which authenticates it), and the next batch gets a fresh socket.
    let s: FuzzSocket | undefined;
    let auths = 0;
    let from = 0;
    let sent: string[] = [];
    for (let i = 0; i < frames; i++) {
      s ??= await this.open(this.rng.chance(0.5) ? [] : ['pubkeeper.n.io']);
      const frame = jsonFrame(this.rng, this.ctx.unauthTokens);
      sent.push(describeFrame(frame));
      this.send(s, frame);
      if (jsonAnswersAuthenticated(frame)) auths++;
      if (auths === 2 || sent.length === 40 || i === frames - 1) {
        await this.barrierOn(s);
        if (this.internalIn(s, from)) this.internal.push(`${s.name}: "Internal error" among the answers to:\n${sent.join('\n')}`);
        await s.close(1000);
        s = undefined;
        auths = 0;
        from = 0;
        sent = [];
      }
    }
  }

  async deep(): Promise<void> {
    const s = this.main;
    if (!s) return;
    for (let i = 0; i < 10; i++) {
      const d = deepValue(this.rng);
      const template = this.rng.pick(JSON_DEEP_TEMPLATES);
      if (!d) continue;
      const json = withDeep(template, d.deep);
      const from = s.received.length;
      this.send(s, text(json));
      await this.barrierOn(s);
      this.deepResults.push({ rig: this.name, depth: d.depth, frame: json.slice(0, 80), internal: this.internalIn(s, from) });
    }
  }

  async barrier(): Promise<void> {
    if (this.main) await this.barrierOn(this.main);
  }
}
