import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MessageType } from '../../src/protocol/pcp/message.js';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { V1Packet } from '../../src/protocol/pubkeeper-v1/packets.js';
import { closed, nextFrame } from '../helpers/frames.js';
import { eventually } from '../helpers/relay.js';
import { startTestServer } from '../helpers/server.js';
import { V1RawClient } from '../helpers/v1Client.js';

// The attacks of issue 10 at scale, each over real sockets with a bystander that must keep being
// served while the attack is under way (CONTRACT §6b). The rule-by-rule tests are in
// test/conformance; these show the limits holding against a flood.

/** A raw TCP connection from `localAddress`; resolves once connected, `ended` once closed. */
async function rawSocket(port: number, localAddress: string): Promise<{ socket: Socket; ended: Promise<void> }> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  onTestFinished(() => void socket.destroy());
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, ended };
}

describe('hostile load: the limits hold and a bystander is served', () => {
  it('a connection flood from 127.0.0.2 is capped while a client on 127.0.0.1 connects and is served', async () => {
    const cap = 200;
    const t = await startTestServer({ config: { maxConnectionsPerAddress: cap } });
    const bystander = await t.client('bystander');
    // Half raw sockets that never send a byte, half WebSockets that never authenticate.
    const flood = await Promise.all(Array.from({ length: cap / 2 }, () => rawSocket(t.port, '127.0.0.2')));
    const sockets = Array.from({ length: cap / 2 }, () => {
      const ws = new WebSocket(t.url, { localAddress: '127.0.0.2' });
      ws.on('error', () => undefined);
      onTestFinished(() => ws.terminate());
      return ws;
    });
    await Promise.all(sockets.map((ws) => new Promise((resolve) => ws.once('open', resolve))));
    await eventually(() => t.server.connections.open === cap + 1);
    // Everything more from that address is closed at once, whatever it is.
    const over = await Promise.all(Array.from({ length: 50 }, () => rawSocket(t.port, '127.0.0.2')));
    await Promise.all(over.map((o) => o.ended));
    expect(t.server.connections.refused.overCap).toBe(50);
    // A client from 127.0.0.1 connects, authenticates and is served; the bystander too.
    const newcomer = await t.client('newcomer');
    await newcomer.registerBrewer('a.b', { uuid: 'u' });
    const told = nextFrame(bystander, (f) => f[0] === Packet.BREWER_NOTIFY);
    await bystander.subscribe('a.*');
    expect((await told)[1]).toEqual({ topic: 'a.b', brewer: { uuid: 'u' } });
    expect(flood.length + sockets.length).toBe(cap);
  });

  it('never-authenticating sessions from one address are closed by the auth timeout and free their places', async () => {
    const t = await startTestServer({ config: { maxConnectionsPerAddress: 20, authTimeoutMs: 200 } });
    const bystander = await t.client('bystander');
    const squatters = Array.from({ length: 20 }, () => {
      const ws = new WebSocket(t.url, { localAddress: '127.0.0.2' });
      ws.on('error', () => undefined);
      onTestFinished(() => ws.terminate());
      return new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    });
    expect(new Set(await Promise.all(squatters))).toEqual(new Set([4001]));
    await eventually(() => t.server.connections.open === 1);
    const next = new WebSocket(t.url, { localAddress: '127.0.0.2' });
    onTestFinished(() => next.terminate());
    await new Promise((resolve, reject) => {
      next.once('open', resolve);
      next.once('error', reject);
    });
    await bystander.subscribe('still.here');
  });

  it('an inventory_request of 20,000 duplicate patterns is refused before any is read', async () => {
    const t = await startTestServer();
    for (let i = 0; i < 50; i++) await t.pcp(`agent${i}`, []);
    const attacker = await t.pcp('attacker', ['all']);
    const bystander = await t.pcp('bystander', ['all']);
    const query = Array.from({ length: 20_000 }, () => 'pcp://*/*');
    const refused = attacker.request(undefined, MessageType.INVENTORY_REQUEST, { query });
    const served = bystander.inventory(['pcp://agent1/*']);
    expect(await served).toEqual(['pcp://agent1/agent']);
    const reply = await refused;
    expect(reply.message_type).toBe(MessageType.ERROR);
    expect(reply.data).toBe('Limit exceeded: a query may hold at most 64 patterns');
  });

  it('1,000 subscriptions of many ** are refused before matching, and registrations stay cheap for everyone', async () => {
    const t = await startTestServer();
    const attacker = await t.client('attacker');
    const bystander = await t.client('bystander');
    await bystander.subscribe('a.*');
    for (let i = 0; i < 1000; i++) attacker.send(Packet.SUBSCRIBE, { topic: `**.${i}.**.x.**.y.**.z.**` });
    // The error budget (100 per 10 s) ends the flood; not one of those patterns was indexed.
    expect(await closed(attacker)).toEqual({ code: 1008, reason: 'Too many errors.' });
    expect(t.server.hub.subscriptions.size).toBe(1);
    const brewer = await t.client('brewer');
    const told = nextFrame(bystander, (f) => f[0] === Packet.BREWER_NOTIFY);
    await brewer.registerBrewer('a.b', { uuid: 'u' });
    await told;
  });

  it('repeated SUBSCRIBE ** over 5,000 brewers stops at the snapshot budget while a bystander is served', async () => {
    const t = await startTestServer({ config: { snapshotBudgetPer10s: 20_000 } });
    const brewer = await t.client('brewer');
    for (let i = 0; i < 5000; i++) brewer.send(Packet.BREWER_REGISTER, { topic: `s.${i}`, brewer: { uuid: `u${i}` } });
    await brewer.sync();
    const attacker = await t.client('attacker');
    let notified = 0;
    let refusals = 0;
    attacker.on('frame', (f) => {
      if (f[0] === Packet.BREWER_NOTIFY) notified++;
      else if (f[0] === Packet.ERROR) refusals++;
    });
    for (let i = 0; i < 50; i++) attacker.send(Packet.SUBSCRIBE, { topic: '**' });
    const bystander = await t.client('bystander');
    await bystander.subscribe('s.42');
    // The barrier: every frame the 50 SUBSCRIBEs brought arrives before its answer. The bystander is
    // served while the attacker's snapshots still stream, so refusals that reach the client after
    // the barrier was sent are reported on it as well as counted above.
    await attacker.sync().catch(() => undefined);
    // 20,000 budget: four whole snapshots (4 × 5,001 = 20,004 spent), then refusals.
    expect(notified).toBe(4 * 5000);
    expect(refusals).toBe(46);
  });

  it('alternating two valid tokens is refused past the refresh budget, before any signature check', async () => {
    const t = await startTestServer({ config: { maxErrorsPer10s: 1000 } });
    const attacker = await t.client('attacker');
    const tokens = [t.keys.mint('attacker', ['all'], { jti: 'a' }), t.keys.mint('attacker', ['all'], { jti: 'b' })];
    let refused = 0;
    let answered = 0;
    const allAnswered = new Promise<void>((resolve) =>
      attacker.on('frame', (f) => {
        if (f[0] === Packet.ERROR && String(f[1].message).startsWith('Limit exceeded: at most 20 token refreshes')) refused++;
        if (f[0] === Packet.AUTHENTICATED && ++answered === 500) resolve();
      }),
    );
    for (let i = 0; i < 500; i++) attacker.send(Packet.AUTHENTICATE, { token: tokens[i % 2] });
    const bystander = await t.client('bystander');
    await bystander.subscribe('a.*');
    await allAnswered;
    // Twenty refreshes go through, ending on token b; from then on every a is refused and every b
    // is the token held, which costs nothing.
    expect(refused).toBe(240);
    expect(attacker.closed).toBeUndefined();
  });

  it('a 1.x client trying signatures is closed at the third refusal', async () => {
    const t = await startTestServer();
    const bystander = await V1RawClient.connect(t.url);
    expect(await bystander.authenticate(t.keys.mint('bystander'))).toBe(true);
    const attacker = await V1RawClient.connect(t.url);
    for (let i = 0; i < 1000; i++) attacker.send(V1Packet.CLIENT_AUTHENTICATE, { token: `${t.keys.mint('x').slice(0, -4)}${String(i).padStart(4, '0')}` });
    expect(await attacker.closed).toEqual({ code: 4001, reason: 'Too many failed authentications.' });
    expect(attacker.received.filter((p) => p[0] === V1Packet.CLIENT_AUTHENTICATED)).toHaveLength(3);
    await bystander.sync(t.keys.mint('bystander'));
  });
});
