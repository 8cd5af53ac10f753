// The SDK trusts no one but the broker for discovery, and nothing a server or a peer sends can crash
// it: peers' discovery and inventory messages, forged replies and garbage frames are dropped and
// reported ('invalid' on the clients, 'error' with operation 'inbound' on DiscoveryClient).
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DiscoveryClientError } from '../../src/client/discoveryClient.js';
import { InvalidMessageError } from '../../src/client/inbound.js';
import { PcpClient, type PcpV2Message } from '../../src/client/pcpClient.js';
import { PubkeeperClient, type BrewerEventArgs } from '../../src/client/pubkeeperClient.js';
import { pcpTransport } from '../../src/client/transports.js';
import { BROKER_URI, MessageType } from '../../src/protocol/pcp/message.js';
import { discovery, FAST, next } from '../helpers/discovery.js';
import { nextMessage } from '../helpers/pcp.js';
import { startTestServer } from '../helpers/server.js';

/** Every value `event` carries from now on; `reach(n)` resolves once `n` are recorded (the timeout only bounds a failure). */
function collect<T>(emitter: { on(event: string, listener: (value: T) => void): unknown }, event: string): { list: T[]; reach(n: number): Promise<void> } {
  const list: T[] = [];
  const waiters = new Set<() => void>();
  emitter.on(event, (value) => {
    list.push(value);
    for (const waiter of waiters) waiter();
  });
  const reach = (n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${list.length} of ${n} ${event} events: ${JSON.stringify(list)}`)), 5000);
      const check = (): void => {
        if (list.length < n) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { list, reach };
}

const real = { uuid: 'r1', hostname: '10.0.0.1', port: 9899 };

/** What mallory sends: discovery and inventory that look right, and the same kinds malformed. */
const ATTACK: [string, unknown][] = [
  [MessageType.PK_BREWER_NOTIFY, { topic: 'svc.real', brewer: { ...real, hostname: '6.6.6.6' } }],
  [MessageType.PK_BREWER_NOTIFY, { topic: 'svc.fake', brewer: { uuid: 'fake', hostname: '6.6.6.6', port: 1 } }],
  [MessageType.PK_BREWER_REMOVED, { topic: 'svc.real', brewer: real }],
  [MessageType.INVENTORY_UPDATE, { changes: [{ client: 'pcp://ghost/agent', change: 1 }] }],
  [MessageType.PK_BREWER_NOTIFY, null],
  [MessageType.PK_BREWER_NOTIFY, 'x'],
  [MessageType.PK_BREWER_NOTIFY, { brewer: { uuid: 'no-topic' } }],
  [MessageType.PK_BREWER_REMOVED, { topic: 'svc.real' }],
  [MessageType.INVENTORY_UPDATE, null],
  [MessageType.INVENTORY_UPDATE, { changes: [{ client: 5, change: 2 }] }],
];

describe('SDK trust: only the broker speaks for discovery', () => {
  it('a peer with a send right cannot change a DiscoveryClient\'s or a PcpClient\'s view, nor crash them; its messages are reported', async () => {
    const t = await startTestServer();
    const brewer = await t.client('brewer', ['brew:svc.*']);
    await brewer.registerBrewer('svc.real', real);

    const victim = discovery({ url: t.base, token: t.keys.mint('victim', ['subscribe:**']), transport: pcpTransport({ type: 'discovery' }), backoff: FAST });
    const victimErrors = collect<DiscoveryClientError>(victim, 'error');
    await victim.subscribe('**');
    await victim.connect();
    expect(victim.brewers()).toEqual([{ topic: 'svc.real', brewer: real }]);
    const victimAdded = collect<BrewerEventArgs>(victim, 'brewerAdded');
    const victimRemoved = collect<BrewerEventArgs>(victim, 'brewerRemoved');

    const plain = await t.pcp('plain', ['all']);
    await plain.subscribe('**');
    const notified = collect<BrewerEventArgs>(plain, 'notify');
    const removed = collect<BrewerEventArgs>(plain, 'removed');
    const inventory = collect<unknown>(plain, 'inventoryUpdate');
    const invalid = collect<InvalidMessageError>(plain, 'invalid');
    const messages = collect<PcpV2Message>(plain, 'message');

    const mallory = await t.pcp('mallory', ['all']);
    const targets = ['pcp://victim/discovery', 'pcp://plain/agent'];
    const attack = (part: [string, unknown][]): void => {
      for (const target of targets) for (const [type, data] of part) mallory.send(target, type, data);
    };
    attack(ATTACK.slice(0, 5));
    // A real brewer comes meanwhile: the server has applied it once the call resolves, so its
    // notification is on its way before anything mallory sends next.
    const second = { uuid: 'r2', hostname: '10.0.0.2', port: 9899 };
    await brewer.registerBrewer('svc.second', second);
    attack(ATTACK.slice(5));
    // Claiming to be the broker is refused by the server itself (PCP-ROUTE-2).
    const refusal = nextMessage(mallory, (m) => m.message_type === MessageType.ERROR);
    mallory.sendRaw(JSON.stringify({ id: randomUUID(), message_type: MessageType.PK_BREWER_NOTIFY, target: targets[1], sender: BROKER_URI, data: { topic: 'svc.x', brewer: { uuid: 'x' } } }));
    expect((await refusal).data).toBe('Message not authenticated.');
    for (const target of targets) mallory.send(target, 'app/done');

    // Barriers: the plain client saw mallory's last message; the victim reported every one of its attack messages.
    await nextMessage(plain, (m) => m.message_type === 'app/done');
    await victimErrors.reach(ATTACK.length);

    // The plain client: every attack message reached 'message' (apps use PCP), none a discovery event.
    expect(messages.list.filter((m) => m.sender === 'pcp://mallory/agent')).toHaveLength(ATTACK.length + 1);
    expect(notified.list).toEqual([{ topic: 'svc.second', brewer: second }]);
    expect(removed.list).toEqual([]);
    expect(inventory.list).toEqual([]);
    expect(invalid.list).toHaveLength(ATTACK.length);
    for (const error of invalid.list) {
      expect(error).toBeInstanceOf(InvalidMessageError);
      expect(error.code).toBe('SENDER_MISMATCH');
      expect(error.message).toContain('pcp://mallory/agent');
    }
    expect(await plain.associate()).toBe(true);

    // The DiscoveryClient: its view is the real one, the attack reported as 'inbound' errors.
    expect(victimAdded.list).toEqual([{ topic: 'svc.second', brewer: second }]);
    expect(victimRemoved.list).toEqual([]);
    expect(victim.brewers().sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
      { topic: 'svc.real', brewer: real },
      { topic: 'svc.second', brewer: second },
    ]);
    expect(victimErrors.list).toHaveLength(ATTACK.length);
    for (const error of victimErrors.list) {
      expect(error).toMatchObject({ operation: 'inbound', code: 'SENDER_MISMATCH' });
      expect(error.cause).toBeInstanceOf(InvalidMessageError);
    }
    expect(victim.connected).toBe(true);

    // And real removals still come through.
    const gone = next(victim, 'brewerRemoved');
    await brewer.close();
    expect((await gone)[0]).toEqual({ topic: 'svc.real', brewer: real });
  });

  it('a reply to request() counts only from its target: a forged in_reply_to from another peer is ignored and reported', async () => {
    const t = await startTestServer();
    const alice = await t.pcp('alice', ['all']);
    const bob = await t.pcp('bob', ['all']);
    const mallory = await t.pcp('mallory', ['all']);
    const pinged = nextMessage(bob, (m) => m.message_type === 'rpc/ping');
    let settled = false;
    const reply = alice.request('pcp://bob/agent', 'rpc/ping', { n: 1 }).finally(() => (settled = true));
    const ping = await pinged; // bob is ours: it hands the request id to mallory

    const forged = collect<InvalidMessageError>(alice, 'invalid');
    mallory.send('pcp://alice/agent', 'rpc/pong', { forged: true }, ping.id);
    mallory.send('pcp://alice/agent', MessageType.ERROR, 'Not connected.', ping.id);
    await forged.reach(2);
    expect(forged.list.map((e) => e.code)).toEqual(['SENDER_MISMATCH', 'SENDER_MISMATCH']);
    expect(forged.list[0]?.message).toContain('pcp://mallory/agent');
    expect(settled).toBe(false);

    bob.send(String(ping.sender), 'rpc/pong', { genuine: true }, ping.id);
    expect(await reply).toMatchObject({ sender: 'pcp://bob/agent', in_reply_to: ping.id, data: { genuine: true } });

    // The broker's routing answers stand in for the target.
    expect(await alice.request('pcp://nobody/agent', 'rpc/ping')).toMatchObject({ sender: BROKER_URI, message_type: MessageType.ERROR, data: 'Not connected.' });
    expect(forged.list).toHaveLength(2);
  });
});

/** A WebSocket server that says whatever the test wants; `answer` replies to what the client sends. */
async function hostileServer(answer: (text: string) => string | undefined): Promise<{ base: string; socket: Promise<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  const socket = new Promise<WebSocket>((resolve) => {
    wss.once('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        const reply = isBinary ? undefined : answer(data.toString());
        if (reply !== undefined) ws.send(reply);
      });
      resolve(ws);
    });
  });
  return { base: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, socket };
}

/** A /ws server answering every AUTHENTICATE (the SDK's barrier) with `authenticated: true`. */
const authenticatesAll = (text: string): string | undefined => (text.startsWith('[1,') ? '[2,{"authenticated":true}]' : undefined);

const WS_GARBAGE: [string | Buffer, InvalidMessageError['code']][] = [
  ['not json', 'DECODE_FAILED'],
  [Buffer.from([1, 2, 3]), 'DECODE_FAILED'],
  ['null', 'DECODE_FAILED'],
  ['{"a":1}', 'DECODE_FAILED'],
  ['[12,"x"]', 'DECODE_FAILED'],
  ['[1.5,{}]', 'DECODE_FAILED'],
  ['[12,{"topic":5}]', 'INVALID_PAYLOAD'],
  ['[12,{"topic":"a.b","brewer":{"uuid":7}}]', 'INVALID_PAYLOAD'],
  ['[13,{"topic":"a.b"}]', 'INVALID_PAYLOAD'],
  ['[99,{"message":5}]', 'INVALID_PAYLOAD'],
  ['[2,{}]', 'INVALID_PAYLOAD'],
  ['[77,{}]', 'UNKNOWN_PACKET'],
];
const VALID_NOTIFY = '[12,{"topic":"a.b","brewer":{"uuid":"u1","port":1}}]';

const pcpFrame = (message: Record<string, unknown>): string => JSON.stringify({ id: randomUUID(), target: 'pcp://x/agent', ...message });
const fromBroker = (message_type: string, data: unknown): string => pcpFrame({ message_type, sender: BROKER_URI, data });

const PCP_GARBAGE: [string | Buffer, InvalidMessageError['code']][] = [
  ['not json', 'DECODE_FAILED'],
  [Buffer.from([1, 2, 3]), 'DECODE_FAILED'],
  ['null', 'DECODE_FAILED'],
  ['[]', 'DECODE_FAILED'],
  ['{"message_type":"x"}', 'DECODE_FAILED'],
  ['{"id":"1","message_type":7}', 'DECODE_FAILED'],
  ['{"id":"1","message_type":"x","in_reply_to":5}', 'DECODE_FAILED'],
  [fromBroker(MessageType.PK_BREWER_NOTIFY, null), 'INVALID_PAYLOAD'],
  [fromBroker(MessageType.PK_BREWER_NOTIFY, 'x'), 'INVALID_PAYLOAD'],
  [fromBroker(MessageType.PK_BREWER_NOTIFY, { topic: 'a.b', brewer: {} }), 'INVALID_PAYLOAD'],
  [fromBroker(MessageType.PK_BREWER_REMOVED, { brewer: { uuid: 'u' } }), 'INVALID_PAYLOAD'],
  [fromBroker(MessageType.INVENTORY_UPDATE, null), 'INVALID_PAYLOAD'],
  [fromBroker(MessageType.INVENTORY_UPDATE, { changes: [{ client: 'pcp://a/b', change: 2 }] }), 'INVALID_PAYLOAD'],
  [pcpFrame({ message_type: MessageType.PK_BREWER_NOTIFY, data: { topic: 'a.b', brewer: { uuid: 'u' } } }), 'SENDER_MISMATCH'],
];

describe('SDK trust: a hostile server', () => {
  it('PubkeeperClient: garbage frames are reported, never thrown, and the client stays usable', async () => {
    const hostile = await hostileServer(authenticatesAll);
    const client = await PubkeeperClient.connect(`${hostile.base}/ws`);
    onTestFinished(() => client.socket.terminate());
    const socket = await hostile.socket;
    const invalid = collect<InvalidMessageError>(client, 'invalid');
    const notified = nextValue(client, 'notify');
    for (const [frame] of WS_GARBAGE) socket.send(frame);
    socket.send(VALID_NOTIFY);
    expect(await notified).toEqual({ topic: 'a.b', brewer: { uuid: 'u1', port: 1 } });
    expect(invalid.list.map((e) => e.code)).toEqual(WS_GARBAGE.map(([, code]) => code));
    expect(invalid.list.every((e) => e instanceof InvalidMessageError)).toBe(true);
    expect(await client.authenticate('any')).toBe(true);
  });

  it('PcpClient: garbage frames and malformed broker data are reported, never thrown, and the client stays usable', async () => {
    const hostile = await hostileServer((text) => {
      const request = JSON.parse(text) as PcpV2Message;
      const reply = (message_type: string, data: unknown): string => pcpFrame({ message_type, sender: BROKER_URI, in_reply_to: request.id, data });
      if (request.message_type === MessageType.ASSOCIATE_REQUEST) return reply(MessageType.ASSOCIATE_RESPONSE, { id: request.id, success: true });
      if (request.message_type === MessageType.INVENTORY_REQUEST) return reply(MessageType.INVENTORY_RESPONSE, { uris: 5 });
      return undefined;
    });
    const client = await PcpClient.connect(hostile.base, { token: 'a.b.c' });
    onTestFinished(() => client.socket.terminate());
    const socket = await hostile.socket;
    const invalid = collect<InvalidMessageError>(client, 'invalid');
    const notified = nextValue(client, 'notify');
    for (const [frame] of PCP_GARBAGE) socket.send(frame);
    socket.send(fromBroker(MessageType.PK_BREWER_NOTIFY, { topic: 'a.b', brewer: { uuid: 'u1' } }));
    expect(await notified).toEqual({ topic: 'a.b', brewer: { uuid: 'u1' } });
    expect(invalid.list.map((e) => e.code)).toEqual(PCP_GARBAGE.map(([, code]) => code));
    expect(await client.associate()).toBe(true);
    await expect(client.inventory(['pcp://*/*'])).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it('DiscoveryClient: garbage from the server is reported as "inbound" errors and the view only takes valid notifications', async () => {
    const hostile = await hostileServer(authenticatesAll);
    const client = discovery({ url: `${hostile.base}/ws`, token: 'any', backoff: FAST });
    const errors = collect<DiscoveryClientError>(client, 'error');
    await client.subscribe('**');
    await client.connect();
    const socket = await hostile.socket;
    const added = next(client, 'brewerAdded');
    for (const [frame] of WS_GARBAGE) socket.send(frame);
    socket.send(VALID_NOTIFY);
    expect((await added)[0]).toEqual({ topic: 'a.b', brewer: { uuid: 'u1', port: 1 } });
    expect(errors.list.map((e) => [e.operation, e.code])).toEqual(WS_GARBAGE.map(([, code]) => ['inbound', code]));
    expect(client.brewers()).toEqual([{ topic: 'a.b', brewer: { uuid: 'u1', port: 1 } }]);
    expect(client.connected).toBe(true);
  });
});

/** The next value of a one-argument event (the timeout only bounds a failure). */
function nextValue<T>(emitter: { once(event: string, listener: (value: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} in time`)), 5000);
    emitter.once(event, (value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
