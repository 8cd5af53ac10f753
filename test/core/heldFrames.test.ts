// A session whose request waits for a shared engine (cluster mode) keeps its program order: its
// next frames wait, in order, and a flood of them is bounded. The engine here is the in-process
// one with each proposal's answer held until the test lets it go: a port of ours, not a mock.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { jsonDialect } from '../../src/core/dialects/json/jsonDialect.js';
import { MAX_HELD_FRAMES } from '../../src/core/dialects/sessionDriver.js';
import { Hub } from '../../src/core/hub.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Applied, Proposal } from '../../src/core/registry/changes.js';
import { LocalRegistryEngine } from '../../src/core/registry/localEngine.js';
import type { Result } from '../../src/protocol/errors.js';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { tempKeys } from '../helpers/keys.js';
import { MemoryConnection } from '../helpers/memoryConnection.js';

/** The in-process engine, each proposal answered only when `settle` is called. */
class HeldEngine extends LocalRegistryEngine {
  private readonly held: (() => void)[] = [];

  override propose(proposal: Proposal): Result<readonly Applied[]> {
    // Typed as the base class's, answered later: the driver sees a promise, as with Redis.
    return new Promise<Result<readonly Applied[]>>((resolve) => this.held.push(() => resolve(super.propose(proposal)))) as unknown as Result<
      readonly Applied[]
    >;
  }

  get waiting(): number {
    return this.held.length;
  }

  settle(): void {
    this.held.shift()?.();
  }
}

function rig() {
  const keys = tempKeys();
  const engine = new HeldEngine('n1');
  const hub = new Hub(loadConfig(), { keys: keys.keys.verification }, silentLogger, engine);
  const session = (sub: string) => {
    const conn = new MemoryConnection();
    const inbound = hub.createSession(jsonDialect, conn, silentLogger);
    const send = (packet: number, payload: object): void => inbound.receive(Buffer.from(JSON.stringify([packet, payload])), false);
    send(Packet.AUTHENTICATE, { token: keys.mint(sub) });
    return { conn, send };
  };
  return { engine, hub, session };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a session whose request waits for the shared engine', () => {
  it('handles its next frames only after the answer, in the order they came; other sessions are not held', async () => {
    const { engine, session } = rig();
    const a = session('a');
    a.send(Packet.BREWER_REGISTER, { topic: 't.one', brewer: { uuid: 'u1' } });
    a.send(Packet.SUBSCRIBE, { topic: 't.*' });
    a.send(Packet.BREWER_REGISTER, { topic: 't.two', brewer: { uuid: 'u2' } });
    expect(engine.waiting).toBe(1);
    // Another session is served meanwhile.
    const b = session('b');
    b.send(Packet.SUBSCRIBE, { topic: 'nothing' });
    expect(b.conn.json()).toEqual([[Packet.AUTHENTICATED, { authenticated: true }]]);
    // Nothing of a's later frames ran: its subscription does not exist yet.
    expect(a.conn.json()).toEqual([[Packet.AUTHENTICATED, { authenticated: true }]]);
    engine.settle();
    await settled();
    // The subscribe ran after the first registration was applied: its snapshot holds it.
    expect(a.conn.json().slice(1)).toEqual([[Packet.BREWER_NOTIFY, { topic: 't.one', brewer: { uuid: 'u1' } }]]);
    expect(engine.waiting).toBe(1);
    engine.settle();
    await settled();
    expect(a.conn.json().slice(1)).toEqual([
      [Packet.BREWER_NOTIFY, { topic: 't.one', brewer: { uuid: 'u1' } }],
      [Packet.BREWER_NOTIFY, { topic: 't.two', brewer: { uuid: 'u2' } }],
    ]);
  });

  it(`answers "Limit exceeded" to each frame past ${MAX_HELD_FRAMES} waiting, and the waiting ones still run in order`, async () => {
    const { engine, hub, session } = rig();
    const a = session('a');
    a.send(Packet.BREWER_REGISTER, { topic: 'x', brewer: { uuid: 'first' } });
    for (let i = 0; i < MAX_HELD_FRAMES; i++) a.send(Packet.SUBSCRIBE, { topic: `held.${i}` });
    a.send(Packet.SUBSCRIBE, { topic: 'one.too.many' });
    expect(a.conn.json().slice(1)).toEqual([[Packet.ERROR, { message: `Limit exceeded: at most ${MAX_HELD_FRAMES} requests may wait for the cluster` }]]);
    engine.settle();
    await settled();
    // Every held subscribe ran (none needs the engine), the refused one did not.
    expect(engine.waiting).toBe(0);
    expect(a.conn.json()).toHaveLength(2);
    const [held] = [...hub.sessions];
    expect(held?.subscriptions.size).toBe(MAX_HELD_FRAMES);
  });
});
