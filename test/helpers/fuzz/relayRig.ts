// The attacker on the websocket brew relay (its own port, subprotocol RELAY_SUBPROTOCOL).
import {
  decodeRelayFrame,
  encodeBrewFrame,
  encodeRelayFrame,
  RELAY_SUBPROTOCOL,
  RelayFrameType,
  topicHash,
} from '../../../src/protocol/relay/codec.js';
import { relayFrame } from './generators.js';
import type { DeepResult, Rig } from './rig.js';
import type { Rng } from './rng.js';
import type { Ctx } from './setup.js';
import { binary, FuzzSocket, wireBytes, type OutFrame, type Received } from './socket.js';

/** The websocket brew relay: no authentication, no answers; a second socket proves the order. */
export class RelayRig implements Rig {
  readonly sockets: FuzzSocket[] = [];
  readonly internal: string[] = [];
  readonly deepResults: DeepResult[] = [];
  main: FuzzSocket | undefined;
  readonly name = 'relay';
  /** Hex of every payload the attacker published: the only bytes the relay may send it. */
  private readonly published = new Set<string>();
  private helper: FuzzSocket | undefined;
  private readonly helperGot = new Set<string>();
  private barriers = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly rng: Rng,
  ) {}

  async start(): Promise<void> {
    const url = `ws://127.0.0.1:${this.ctx.relayPort}/`;
    const check = (r: Received): string | undefined => {
      if (!r.isBinary) return 'a text frame from the relay';
      return this.published.has(r.data.toString('hex')) ? undefined : 'bytes the attacker never published';
    };
    this.main = await FuzzSocket.open('relay', url, [RELAY_SUBPROTOCOL], check);
    this.helper = await FuzzSocket.open('relay-barrier', url, [RELAY_SUBPROTOCOL], (r) => (r.isBinary ? undefined : 'a text frame from the relay'));
    this.helper.tap((r) => this.helperGot.add(r.data.toString('hex')));
    this.sockets.push(this.main, this.helper);
    await this.barrier();
  }

  private send(frame: OutFrame): void {
    this.main?.send(frame);
    if (!frame.binary) return;
    const decoded = decodeRelayFrame(wireBytes(frame));
    if (decoded.ok && decoded.value.type === RelayFrameType.PUBLISH) this.published.add(Buffer.from(decoded.value.payload).toString('hex'));
  }

  /**
   * The helper joins a fresh topic and the attacker publishes one value to it after its frames.
   * Whichever the relay handles first, the helper receives that value exactly once (live or as
   * the last value), and only after the relay has handled every earlier frame of the attacker.
   */
  async barrier(): Promise<void> {
    const helper = this.helper;
    if (!helper) return;
    const topic = `fz.barrier.${++this.barriers}`;
    const value = Buffer.from(encodeBrewFrame(topic, '0'.repeat(32), Buffer.from(topic)));
    helper.send(binary(encodeRelayFrame(RelayFrameType.JOIN, topicHash(topic))));
    this.send(binary(encodeRelayFrame(RelayFrameType.PUBLISH, topicHash(topic), value)));
    await helper.waitFor(() => this.helperGot.has(value.toString('hex')), `relay barrier ${topic}`);
  }

  async fuzz(frames: number): Promise<void> {
    for (let i = 0; i < frames; i++) this.send(relayFrame(this.rng));
    await this.barrier();
  }

  async deep(): Promise<void> {
    // Nothing in a relay frame is parsed as JSON.
  }
}
