import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { encodeV1Frame } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { nextFrame } from '../../helpers/frames.js';
import { nextMessage } from '../../helpers/pcp.js';
import { startTestServer } from '../../helpers/server.js';
import { V1RawClient } from '../../helpers/v1Client.js';

const B1 = '0123456789abcdef0123456789abcdef';
const P1 = 'fedcba9876543210fedcba9876543210';
const ws = { name: 'websocket', hostname: '127.0.0.1', port: 9912, secure: false };
const cipher = { cipher: { key: '99fdc06da65d345852840215424e8ece', mode: 2 } };

function offeredAnswer(url: string, protocols: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new WebSocket(url, protocols);
    s.once('open', () => {
      resolve(s.protocol);
      s.terminate();
    });
    s.once('error', reject);
  });
}

describe('PubKeeper 1.x: the binary wire', () => {
  it('PK1-WIRE-1 exactly one offered subprotocol is echoed: pubkeeper-1.1 before pubkeeper-1.0', async () => {
    const t = await startTestServer();
    expect(await offeredAnswer(t.url, ['pubkeeper-1.1', 'pubkeeper-1.0'])).toBe('pubkeeper-1.1');
    expect(await offeredAnswer(t.url, ['pubkeeper-1.0', 'pubkeeper-1.1'])).toBe('pubkeeper-1.1');
    expect(await offeredAnswer(t.url, ['pubkeeper-1.0'])).toBe('pubkeeper-1.0');
    expect(await offeredAnswer(t.url, ['pubkeeper-1.0', 'pubkeeper.n.io'])).toBe('pubkeeper-1.0');
    expect(await offeredAnswer(t.url, ['pubkeeper.n.io', 'other'])).toBe('pubkeeper.n.io');
  });

  it('PK1-WIRE-3 v1.0 and v1.1 headers: each side reads and writes its own version', async () => {
    const t = await startTestServer();
    for (const [protocol, flag] of [['pubkeeper-1.1', 1], ['pubkeeper-1.0', 0]] as const) {
      const c = await V1RawClient.connect(t.url, [protocol]);
      const raw = new Promise<Buffer>((resolve) => c.socket.once('message', (d: Buffer) => resolve(d)));
      c.send(V1Packet.CLIENT_AUTHENTICATE, { token: t.keys.mint('a') });
      const frame = await raw;
      const body = Buffer.from('{"authenticated":true}');
      expect(frame.readUInt16LE(0)).toBe(V1Packet.CLIENT_AUTHENTICATED);
      expect(frame.readUInt16LE(2)).toBe(body.length);
      expect(frame[4]).toBe(flag);
      expect([...frame.subarray(5, 8)]).toEqual([0, 0, 0]);
      expect(frame.subarray(8)).toEqual(body);
    }
  });

  it('PK1-AUTH-1 every CLIENT_AUTHENTICATE is answered CLIENT_AUTHENTICATED; a refusal (with ERROR) does not close by itself', async () => {
    const t = await startTestServer();
    const c = await V1RawClient.connect(t.url);
    for (let i = 0; i < 2; i++) expect(await c.authenticate('bad')).toBe(false);
    expect(c.received.filter((p) => p[0] === V1Packet.ERROR).length).toBe(2);
    expect(await c.authenticate(t.keys.mint('a'))).toBe(true);
    // Before authentication other packets get "Unauthenticated Request".
    const anon = await V1RawClient.connect(t.url);
    anon.send(V1Packet.PATRON_REGISTER, { topic: 'a', patron_id: P1, brews: [] });
    expect(String((await anon.next((p) => p[0] === V1Packet.ERROR))[1].message)).toMatch(/^Unauthenticated Request/);
  });

  it('PK1-AUTH-3 three refused tokens while unauthenticated close 4001 "Too many failed authentications."', async () => {
    const t = await startTestServer();
    const c = await V1RawClient.connect(t.url);
    for (let i = 0; i < 2; i++) expect(await c.authenticate('bad')).toBe(false);
    const answered = c.next((p) => p[0] === V1Packet.CLIENT_AUTHENTICATED);
    c.send(V1Packet.CLIENT_AUTHENTICATE, { token: 'bad' });
    expect((await answered)[1]).toEqual({ authenticated: false });
    expect(await c.closed).toEqual({ code: 4001, reason: 'Too many failed authentications.' });
    // An authenticated session's refusals are refreshes refused: they never close it.
    const ok = await V1RawClient.connect(t.url);
    expect(await ok.authenticate(t.keys.mint('a'))).toBe(true);
    for (let i = 0; i < 4; i++) expect(await ok.authenticate('bad')).toBe(true);
  });

  it('PK1-AUTH-2 no successful CLIENT_AUTHENTICATE within the auth timeout closes 4001', async () => {
    const t = await startTestServer({ config: { authTimeoutMs: 100 } });
    const c = await V1RawClient.connect(t.url);
    expect((await c.closed).code).toBe(4001);
  });

  it('PK1-BREWS-1 BREWS_REGISTER is accepted with brew names or brew objects, before or after registrations', async () => {
    const t = await startTestServer();
    const c = await V1RawClient.connect(t.url);
    const token = t.keys.mint('a');
    await c.authenticate(token);
    c.send(V1Packet.PATRON_REGISTER, { topic: 'x', patron_id: P1, brews: [{ name: 'websocket' }] });
    c.send(V1Packet.BREWS_REGISTER, { brews: ['websocket'], bridge_mode: false });
    c.send(V1Packet.BREWS_REGISTER, { brews: [{ name: 'websocket' }] });
    await c.sync(token);
    expect(c.packets()).toEqual([[V1Packet.BREWER_NOTIFY, { patron_id: P1, brewers: [] }]]);
  });

  const bad: [string, () => Uint8Array | string, RegExp][] = [
    ['a short header', () => Uint8Array.from([1, 0, 2]), /^Could not decode message/],
    ['a length beyond the frame', () => Uint8Array.from([40, 0, 200, 0, 1, 0, 0, 0, 123, 125]), /^Could not decode message/],
    ['a payload that is not JSON', () => { const f = encodeV1Frame('1.1', 40, {}); f.set(Buffer.from('{x'), 8); return f; }, /^Could not decode message/],
    ['a JSON array payload', () => Buffer.concat([Buffer.from([40, 0, 2, 0, 1, 0, 0, 0]), Buffer.from('[]')]), /^Could not decode message/],
    ['an unknown packet id', () => encodeV1Frame('1.1', 30, { segment_id: 'x' }), /^Unknown packet/],
    ['a server packet id', () => encodeV1Frame('1.1', V1Packet.PATRON_NOTIFY, { brewer_id: B1, patrons: [] }), /^Unknown packet/],
    ['BREWER_REGISTER without brews', () => encodeV1Frame('1.1', V1Packet.BREWER_REGISTER, { topic: 'a', brewer_id: B1, brewer_config: {} }), /^Invalid payload: brews/],
    ['BREWER_REGISTER with a numeric brewer_id', () => encodeV1Frame('1.1', V1Packet.BREWER_REGISTER, { topic: 'a', brewer_id: 5, brewer_config: {}, brews: [] }), /^Invalid payload: brewer_id/],
    ['PATRON_REGISTER with a nameless brew', () => encodeV1Frame('1.1', V1Packet.PATRON_REGISTER, { topic: 'a', patron_id: P1, brews: [{}] }), /^Invalid payload: brews/],
    ['BREWER_REGISTER on a wildcard topic', () => encodeV1Frame('1.1', V1Packet.BREWER_REGISTER, { topic: 'a.*', brewer_id: B1, brewer_config: {}, brews: [ws] }), /^Invalid payload: topic/],
    ['a text frame', () => 'hello', /^Could not decode message/],
  ];
  for (const [what, frame, message] of bad) {
    it(`PK1-ERR-1 ${what}: ERROR, and the session still works`, async () => {
      const t = await startTestServer();
      const c = await V1RawClient.connect(t.url);
      const token = t.keys.mint('a');
      await c.authenticate(token);
      c.sendRaw(frame());
      expect(String((await c.next((p) => p[0] === V1Packet.ERROR))[1].message)).toMatch(message);
      c.send(V1Packet.BREWER_REGISTER, { topic: 'still.ok', brewer_id: B1, brewer_config: cipher, brews: [ws] });
      expect(await c.next((p) => p[0] === V1Packet.PATRON_NOTIFY)).toEqual([V1Packet.PATRON_NOTIFY, { brewer_id: B1, patrons: [] }]);
      expect(t.server.hub.registry.size).toBe(1);
    });
  }
});

describe('PubKeeper 1.x: one registry with the other dialects', () => {
  it('PK1-MAP-1 a 1.x brewer is a brewer {uuid, brewer_config, brews} to /ws and PCP subscribers', async () => {
    const t = await startTestServer();
    const json = await t.client('json');
    await json.subscribe('mix.*');
    const pcp = await t.pcp('pcp', ['all']);
    await pcp.subscribe('mix.*');
    const jsonSaw = nextFrame(json, (f) => f[0] === Packet.BREWER_NOTIFY);
    const pcpSaw = nextMessage(pcp, (m) => m.message_type === 'pubkeeper/brewer_notify');
    const c = await V1RawClient.connect(t.url);
    await c.authenticate(t.keys.mint('v1'));
    c.send(V1Packet.BREWER_REGISTER, { topic: 'mix.v1', brewer_id: B1, brewer_config: cipher, brews: [ws] });
    const expected = { topic: 'mix.v1', brewer: { uuid: B1, brewer_config: cipher, brews: [ws] } };
    expect((await jsonSaw)[1]).toEqual(expected);
    expect((await pcpSaw).data).toEqual(expected);
    const removed = nextFrame(json, (f) => f[0] === Packet.BREWER_REMOVED);
    c.send(V1Packet.BREWER_UNREGISTER, { topic: 'mix.v1', brewer_id: B1 });
    expect((await removed)[1]).toEqual(expected);
  });

  it('PK1-MAP-2 a JSON-dialect brewer is offered to 1.x patrons through a brew: its own `brews`, or one named after its protocol', async () => {
    const t = await startTestServer();
    const json = await t.client('json');
    await json.registerBrewer('mix.full', { uuid: B1, brewer_config: cipher, brews: [ws] });
    await json.registerBrewer('mix.udp', { uuid: 'u-2', hostname: '10.0.0.7', port: 9899, protocol: 'udp' });
    const c = await V1RawClient.connect(t.url);
    await c.authenticate(t.keys.mint('v1'));
    c.send(V1Packet.PATRON_REGISTER, { topic: 'mix.*', patron_id: P1, brews: [{ name: 'websocket' }] });
    expect((await c.next((p) => p[0] === V1Packet.BREWER_NOTIFY))[1]).toEqual({
      patron_id: P1,
      brewers: [{ topic: 'mix.full', brewer_id: B1, brewer_config: cipher, brew: ws }],
    });
    c.send(V1Packet.PATRON_REGISTER, { topic: 'mix.*', patron_id: 'p-udp', brews: [{ name: 'udp' }] });
    expect((await c.next((p) => p[0] === V1Packet.BREWER_NOTIFY && p[1].patron_id === 'p-udp'))[1]).toEqual({
      patron_id: 'p-udp',
      brewers: [{ topic: 'mix.udp', brewer_id: 'u-2', brewer_config: {}, brew: { hostname: '10.0.0.7', port: 9899, protocol: 'udp', name: 'udp' } }],
    });
    const removed = c.next((p) => p[0] === V1Packet.BREWER_REMOVED);
    await json.unregisterBrewer('mix.udp', 'u-2');
    expect((await removed)[1]).toEqual({ topic: 'mix.udp', patron_id: 'p-udp', brewer_id: 'u-2' });
  });
});
