// Every dialect driven through the one session loop over in-memory connections: the same core,
// the same registry, each wire's own frames. No socket anywhere.
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { BrewerEvent } from '../../src/core/brewerEvent.js';
import { jsonDialect } from '../../src/core/dialects/json/jsonDialect.js';
import { PCP_V1, PCP_V2, type PcpDialect } from '../../src/core/dialects/pcp/pcpDialect.js';
import { V1_DIALECTS } from '../../src/core/dialects/v1/v1Dialect.js';
import { Hub, type InboundFrames } from '../../src/core/hub.js';
import { silentLogger } from '../../src/core/logger.js';
import { decodeV1 as decodePcpV1, encodeV1 as encodePcpV1 } from '../../src/protocol/pcp-v1/codec.js';
import { decodeV2 } from '../../src/protocol/pcp-v2/codec.js';
import type { PcpMessage } from '../../src/protocol/pcp/message.js';
import { decodeV1Frame, encodeV1Frame, type V1Version } from '../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../src/protocol/pubkeeper-v1/packets.js';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { tempKeys } from '../helpers/keys.js';
import { MemoryConnection } from '../helpers/memoryConnection.js';

const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function rig() {
  const keys = tempKeys();
  const hub = new Hub(loadConfig(), { keys: keys.keys.verification }, silentLogger);
  const identity = (sub: string, rights: unknown[] = ['all']) => {
    const verified = hub.verify(keys.mint(sub, rights), 'ws');
    if (!verified.ok) throw verified.error;
    return verified.value;
  };

  const json = (sub?: string) => {
    const conn = new MemoryConnection();
    const inbound = hub.createSession(jsonDialect, conn, silentLogger);
    const send = (packet: number, payload: object): void => inbound.receive(Buffer.from(JSON.stringify([packet, payload])), false);
    if (sub) send(Packet.AUTHENTICATE, { token: keys.mint(sub) });
    return { conn, inbound, send, frames: () => conn.json() };
  };

  const v1 = (version: V1Version, sub?: string) => {
    const conn = new MemoryConnection();
    const inbound = hub.createSession(V1_DIALECTS[version], conn, silentLogger);
    const send = (packet: number, payload: object): void => inbound.receive(Buffer.from(encodeV1Frame(version, packet, payload)), true);
    if (sub) send(V1Packet.CLIENT_AUTHENTICATE, { token: keys.mint(sub) });
    const frames = (): [number, Record<string, unknown>][] =>
      conn.sent.map((f) => {
        expect(f.binary).toBe(true);
        const decoded = decodeV1Frame(version, f.data as Uint8Array);
        if (!decoded.ok) throw decoded.error;
        return [decoded.value.id, decoded.value.payload];
      });
    return { conn, inbound, send, frames };
  };

  const pcp = (dialect: PcpDialect, sub: string) => {
    const conn = new MemoryConnection();
    const uri = `pcp://${sub}/agent`;
    const inbound: InboundFrames = hub.connectPcp(dialect, uri, identity(sub), conn, silentLogger);
    const binary = dialect === PCP_V1;
    const send = (message: { id: string; message_type: string; target?: string; data?: unknown }): void =>
      inbound.receive(
        binary ? Buffer.from(encodePcpV1({ ...message, sender: uri })) : Buffer.from(JSON.stringify(message)),
        binary,
      );
    const frames = (): PcpMessage[] =>
      conn.sent.map((f) => {
        expect(f.binary).toBe(binary);
        const decoded = binary ? decodePcpV1(f.data as Uint8Array) : decodeV2(String(f.data));
        if (!decoded.ok) throw decoded.error;
        return decoded.value;
      });
    return { conn, inbound, send, frames, uri };
  };

  return { hub, keys, json, v1, pcp };
}

describe('core: every dialect through the one session loop, in memory', () => {
  it('a JSON brewer reaches JSON, PCP v2, PCP v1 and 1.x subscribers, each in its own frames, each encoded once', () => {
    const { hub, json, v1, pcp } = rig();
    const jsonSub = json('j');
    jsonSub.send(Packet.SUBSCRIBE, { topic: 'a.**' });
    const v2Sub = pcp(PCP_V2, 'p2');
    v2Sub.send({ id: ID(1), message_type: 'pubkeeper/subscribe', data: { topic: 'a.**' } });
    const v1Sub = pcp(PCP_V1, 'p1');
    v1Sub.send({ id: ID(2), message_type: 'pubkeeper/subscribe', data: { topic: 'a.**' } });
    const patron = v1('1.1', 'patron');
    patron.send(V1Packet.PATRON_REGISTER, { topic: 'a.*', patron_id: 'pat-1', brews: [{ name: 'udp' }] });
    for (const c of [jsonSub.conn, v2Sub.conn, v1Sub.conn, patron.conn]) {
      c.frames.length = 0;
      c.sent.length = 0;
    }

    const spy = vi.spyOn(BrewerEvent.prototype, 'frame');
    const brewer = json('b');
    const object = { uuid: 'u1', hostname: '10.0.0.1', port: 9000, protocol: 'udp' };
    brewer.send(Packet.BREWER_REGISTER, { topic: 'a.b', brewer: object });
    const event = spy.mock.contexts[0] as BrewerEvent;
    spy.mockRestore();

    expect(jsonSub.frames()).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.b', brewer: object }]]);
    expect(jsonSub.conn.sent[0]?.binary).toBe(false);
    for (const sub of [v2Sub, v1Sub]) {
      expect(sub.frames().map((m) => [m.message_type, m.targets, m.sender, m.data])).toEqual([
        ['pubkeeper/brewer_notify', [sub.uri], 'pcp:///server', { topic: 'a.b', brewer: object }],
      ]);
    }
    expect(patron.frames()).toEqual([
      [V1Packet.BREWER_NOTIFY, { patron_id: 'pat-1', brewers: [{ topic: 'a.b', brewer_id: 'u1', brewer_config: {}, brew: { hostname: '10.0.0.1', port: 9000, protocol: 'udp', name: 'udp' } }] }],
    ]);
    // One JSON frame, one v2 data part, one v1 data part, one 1.x entry: each built once.
    expect(event.encodings).toBe(4);
    expect(hub.stats.notificationsSent).toBe(4);
  });

  it('a notification is encoded once, as bytes, and every JSON subscriber is handed the very same bytes', () => {
    const { json } = rig();
    const subscribers = [json('s1'), json('s2'), json('s3')];
    for (const s of subscribers) s.send(Packet.SUBSCRIBE, { topic: 'x.*' });
    json('b').send(Packet.BREWER_REGISTER, { topic: 'x.y', brewer: { uuid: 'u' } });
    const frames = subscribers.map((s) => s.conn.sent.at(-1));
    expect(frames[0]?.data).toBeInstanceOf(Uint8Array);
    for (const frame of frames) expect(frame).toBe(frames[0]);
    expect(Buffer.from(frames[0]?.data as Uint8Array).toString()).toBe('[12,{"topic":"x.y","brewer":{"uuid":"u"}}]');
  });

  it('a 1.x brewer and patron pair across the two framings; the brewer is answered even when alone', () => {
    const { v1, json } = rig();
    const brewer = v1('1.0', 'b');
    brewer.send(V1Packet.BREWER_REGISTER, { topic: 't.x', brewer_id: 'bx', brewer_config: { k: 1 }, brews: [{ name: 'websocket', port: 1 }] });
    expect(brewer.frames().filter(([id]) => id === V1Packet.PATRON_NOTIFY)).toEqual([[V1Packet.PATRON_NOTIFY, { brewer_id: 'bx', patrons: [] }]]);
    const patron = v1('1.1', 'p');
    patron.send(V1Packet.PATRON_REGISTER, { topic: 't.*', patron_id: 'px', brews: [{ name: 'websocket' }] });
    expect(patron.frames().at(-1)).toEqual([
      V1Packet.BREWER_NOTIFY,
      { patron_id: 'px', brewers: [{ topic: 't.x', brewer_id: 'bx', brewer_config: { k: 1 }, brew: { name: 'websocket', port: 1 } }] },
    ]);
    expect(brewer.frames().at(-1)).toEqual([V1Packet.PATRON_NOTIFY, { brewer_id: 'bx', patrons: [{ topic: 't.x', patron_id: 'px', brew: { name: 'websocket' } }] }]);
    // A JSON subscriber sees the 1.x brewer as the registry holds it.
    const watcher = json('w');
    watcher.send(Packet.SUBSCRIBE, { topic: 't.x' });
    expect(watcher.frames().at(-1)).toEqual([Packet.BREWER_NOTIFY, { topic: 't.x', brewer: { uuid: 'bx', brewer_config: { k: 1 }, brews: [{ name: 'websocket', port: 1 }] } }]);
    brewer.inbound.session.close(1000, '');
    expect(patron.frames().at(-1)).toEqual([V1Packet.BREWER_REMOVED, { topic: 't.x', patron_id: 'px', brewer_id: 'bx' }]);
    expect(watcher.frames().at(-1)).toEqual([Packet.BREWER_REMOVED, { topic: 't.x', brewer: { uuid: 'bx', brewer_config: { k: 1 }, brews: [{ name: 'websocket', port: 1 }] } }]);
  });

  it('the loop answers bad input in each dialect\'s own error frame, and the in-band gate holds before authentication', () => {
    const { json, v1, pcp } = rig();
    const anonymous = json();
    anonymous.send(Packet.SUBSCRIBE, { topic: 'a' });
    anonymous.inbound.receive(Buffer.from('not json'), false);
    anonymous.inbound.receive(Buffer.from([1, 2]), true);
    expect(anonymous.frames()).toEqual([
      [Packet.ERROR, { message: 'Unauthenticated Request' }],
      [Packet.ERROR, { message: 'Could not decode message: frame is not JSON' }],
      [Packet.ERROR, { message: 'Could not decode message: binary frames are not accepted; send JSON text' }],
    ]);

    const old = v1('1.0');
    old.send(V1Packet.PATRON_REGISTER, { topic: 'a', patron_id: 'p', brews: [] });
    old.inbound.receive(Buffer.from('text'), false);
    expect(old.frames()).toEqual([
      [V1Packet.ERROR, { message: 'Unauthenticated Request' }],
      [V1Packet.ERROR, { message: 'Could not decode message: text frames are not accepted; send binary 1.x frames' }],
    ]);

    const agent = pcp(PCP_V2, 'agent');
    agent.inbound.receive(Buffer.from(JSON.stringify({ id: ID(7), message_type: 'x', bogus: 1 })), false);
    agent.send({ id: ID(8), message_type: 'x', target: 'pcp://nobody/agent' });
    agent.send({ id: ID(9), message_type: 'no/such' });
    expect(agent.frames().map((m) => [m.message_type, m.in_reply_to, m.data])).toEqual([
      ['http://puppetlabs.com/error_message', ID(7), 'Could not decode message'],
      ['http://puppetlabs.com/error_message', ID(8), 'Not connected.'],
      ['http://puppetlabs.com/error_message', ID(9), 'Unknown message type.'],
    ]);
    const oldAgent = pcp(PCP_V1, 'old');
    oldAgent.inbound.receive(Buffer.from('{}'), false);
    expect(oldAgent.frames().map((m) => [m.message_type, m.data])).toEqual([['http://puppetlabs.com/error_message', 'Could not decode message']]);
  });

  it('PCP routes between v1 and v2 sessions, and a second session of a URI supersedes the first, taking its brewers', () => {
    const { hub, pcp, json } = rig();
    const a = pcp(PCP_V2, 'a');
    const b = pcp(PCP_V1, 'b');
    a.send({ id: ID(1), message_type: 'demo/hello', target: b.uri, data: { n: 1 } });
    expect(b.frames().map((m) => [m.message_type, m.sender, m.data])).toEqual([['demo/hello', a.uri, { n: 1 }]]);
    expect(hub.stats.messagesRouted).toBe(1);

    a.send({ id: ID(2), message_type: 'pubkeeper/brewer_register', data: { topic: 'svc.a', brewer: { uuid: 'ua' } } });
    const watcher = json('w');
    watcher.send(Packet.SUBSCRIBE, { topic: 'svc.*' });
    const successor = pcp(PCP_V2, 'a');
    expect(a.conn.closedWith).toEqual({ code: 4000, reason: 'Session superseded.' });
    expect(hub.sessions.atUri(a.uri)).toBe(successor.inbound.session);
    expect(hub.registry.get('svc.a', 'ua')?.owner).toEqual(successor.inbound.session.ref);
    // Taken over silently: the watcher saw the snapshot and nothing since.
    expect(watcher.frames().map(([id]) => id)).toEqual([Packet.AUTHENTICATED, Packet.BREWER_NOTIFY]);
  });
});
