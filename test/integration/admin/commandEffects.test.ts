// Each version 1 command's effect on live sessions of every dialect (protocol/admin.md).
import { describe, expect, it } from 'vitest';
import { PcpClient, PcpConnectError } from '../../../src/client/pcpClient.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { run } from '../../helpers/admin.js';
import { closed, nextFrame, recordFrames } from '../../helpers/frames.js';
import { nextMessage, V1Client } from '../../helpers/pcp.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { V1RawClient } from '../../helpers/v1Client.js';

const pcpClosed = (c: PcpClient): Promise<{ code: number; reason: string }> =>
  c.closed ? Promise.resolve(c.closed) : new Promise((resolve) => c.once('close', (code, reason) => resolve({ code, reason })));

/** One session of `sub` on each dialect, every one authenticated with `token`. */
async function everyDialect(t: TestServer, sub: string, token: string) {
  const json = await t.connect();
  expect(await json.authenticate(token)).toBe(true);
  const v1 = await V1RawClient.connect(t.url);
  expect(await v1.authenticate(token)).toBe(true);
  const pcp2 = await PcpClient.connect(t.base, { token });
  const pcp1 = await V1Client.connect(t.base, token, sub, 'old');
  return {
    json,
    v1,
    pcp2,
    pcp1,
    closes: () => Promise.all([closed(json), v1.closed, pcpClosed(pcp2), pcp1.closed]),
  };
}

describe('admin: revoke token', () => {
  it('ADM-REVOKE-1 by jti: its sessions on every dialect close 4004, its token is refused after; another token of the same sub is not', async () => {
    const t = await startTestServer();
    const revoked = t.keys.mint('alice', ['all'], { jti: 'j-1' });
    const sessions = await everyDialect(t, 'alice', revoked);
    const other = await t.client('alice', ['all']);
    const closes = sessions.closes();
    expect(await run(t, 'revoke token', { jti: 'j-1' })).toMatchObject({ status: 'done', result: { closed: 4 } });
    expect(await closes).toEqual(Array(4).fill({ code: 4004, reason: 'Token revoked.' }));

    const again = await t.connect();
    const error = nextFrame(again, (f) => f[0] === Packet.ERROR);
    await expect(again.authenticate(revoked)).rejects.toThrow('Unauthenticated Request: token revoked');
    expect((await error)[1]).toEqual({ message: 'Unauthenticated Request: token revoked' });
    await expect(PcpClient.connect(t.base, { token: revoked })).rejects.toEqual(new PcpConnectError(401));
    const v1 = await V1RawClient.connect(t.url);
    expect(await v1.authenticate(revoked)).toBe(false);
    // The same sub with another token is untouched.
    await other.subscribe('x.*');
    expect(other.closed).toBeUndefined();
  });

  it('ADM-REVOKE-1 by sub: every session of that client closes 4004; other clients stay', async () => {
    const t = await startTestServer();
    const sessions = await everyDialect(t, 'bob', t.keys.mint('bob', ['all']));
    const bystander = await t.client('carol', ['all']);
    const closes = sessions.closes();
    expect(await run(t, 'revoke token', { sub: 'bob' })).toMatchObject({ status: 'done', result: { closed: 4 } });
    expect((await closes).map((c) => c.code)).toEqual([4004, 4004, 4004, 4004]);
    const fresh = await t.connect();
    await expect(fresh.authenticate(t.keys.mint('bob', ['all'], { jti: 'new' }))).rejects.toThrow('token revoked');
    await bystander.subscribe('b.*');
    expect(bystander.closed).toBeUndefined();
  });

  it('ADM-REVOKE-1 a refresh with a revoked token is refused and keeps the session on its current token', async () => {
    const t = await startTestServer();
    const c = await t.client('dan', ['all']);
    await run(t, 'revoke token', { jti: 'spent' });
    await expect(c.authenticate(t.keys.mint('dan', ['all'], { jti: 'spent' }))).rejects.toThrow('Unauthenticated Request: token revoked');
    expect(c.closed).toBeUndefined();
  });

  it('ADM-REVOKE-2 unrevoke lifts it: the token is accepted again; lifting what is not revoked is done, with lifted false', async () => {
    const t = await startTestServer();
    await run(t, 'revoke token', { sub: 'erin' });
    const token = t.keys.mint('erin', ['all']);
    await expect(PcpClient.connect(t.base, { token })).rejects.toEqual(new PcpConnectError(401));
    expect(await run(t, 'unrevoke token', { sub: 'erin' })).toMatchObject({ status: 'done', result: { lifted: true } });
    const back = await PcpClient.connect(t.base, { token });
    expect(await back.associate()).toBe(true);
    await back.close();
    expect(await run(t, 'unrevoke_token', { jti: 'never' })).toMatchObject({ status: 'done', result: { lifted: false } });
  });
});

describe('admin: kick client', () => {
  it('ADM-KICK-1 by sub: its sessions close 4005 "Kicked." and it may reconnect at once', async () => {
    const t = await startTestServer();
    const token = t.keys.mint('frank', ['all']);
    const sessions = await everyDialect(t, 'frank', token);
    const bystander = await t.client('gina', ['all']);
    const closes = sessions.closes();
    expect(await run(t, 'kick client', { sub: 'frank' })).toMatchObject({ result: { kicked: 4 } });
    expect(await closes).toEqual(Array(4).fill({ code: 4005, reason: 'Kicked.' }));
    const back = await t.connect();
    expect(await back.authenticate(token)).toBe(true);
    expect(bystander.closed).toBeUndefined();
  });

  it('ADM-KICK-1 by uri: only the session holding that PCP URI closes; kicking nobody is done with 0', async () => {
    const t = await startTestServer();
    const agent = await t.pcp('host1', ['all'], { type: 'agent' });
    const other = await t.pcp('host1', ['all'], { type: 'watch' });
    expect(await run(t, 'kick client', { uri: 'pcp://host1/agent' })).toMatchObject({ result: { kicked: 1 } });
    expect(await pcpClosed(agent)).toEqual({ code: 4005, reason: 'Kicked.' });
    expect(await other.associate()).toBe(true);
    expect(await run(t, 'kick client', { uri: 'pcp://nobody/agent' })).toMatchObject({ status: 'done', result: { kicked: 0 } });
  });
});

describe('admin: static brewers', () => {
  const STATIC = { uuid: 'st-1', hostname: '10.1.1.1', port: 7000, protocol: 'websocket' };

  it('ADM-STATIC-1 seen live and in snapshots by every dialect, paired with 1.x patrons, never removed by a session end', async () => {
    const t = await startTestServer();
    const live = await t.client('live', ['all']);
    await live.subscribe('plant.*');
    const pcpLive = await t.pcp('pcplive', ['all']);
    await pcpLive.subscribe('plant.**');
    const patron = await V1RawClient.connect(t.url);
    await patron.authenticate(t.keys.mint('patron', ['all']));
    patron.send(V1Packet.PATRON_REGISTER, { topic: 'plant.*', patron_id: 'p1', brews: [{ name: 'websocket' }] });
    await patron.next((p) => p[0] === V1Packet.BREWER_NOTIFY);

    const notified = nextFrame(live, (f) => f[0] === Packet.BREWER_NOTIFY);
    const pcpNotified = nextMessage(pcpLive, (m) => m.message_type === 'pubkeeper/brewer_notify');
    const paired = patron.next((p) => p[0] === V1Packet.BREWER_NOTIFY);
    expect(await run(t, 'register static brewer', { topic: 'plant.pump', brewer: STATIC })).toMatchObject({ status: 'done' });
    expect((await notified)[1]).toEqual({ topic: 'plant.pump', brewer: STATIC });
    expect((await pcpNotified).data).toEqual({ topic: 'plant.pump', brewer: STATIC });
    expect((await paired)[1]).toEqual({ patron_id: 'p1', brewers: [{ topic: 'plant.pump', brewer_id: 'st-1', brewer_config: {}, brew: { hostname: '10.1.1.1', port: 7000, protocol: 'websocket', name: 'websocket' } }] });

    const late = await t.client('late', ['all']);
    const snapshot = nextFrame(late, (f) => f[0] === Packet.BREWER_NOTIFY);
    await late.subscribe('plant.pump');
    expect((await snapshot)[1]).toEqual({ topic: 'plant.pump', brewer: STATIC });

    // Every session ends; the static brewer stays.
    for (const c of [live, late]) await c.close();
    await pcpLive.close();
    const after = await t.client('after', ['all']);
    const stillThere = nextFrame(after, (f) => f[0] === Packet.BREWER_NOTIFY);
    await after.subscribe('plant.*');
    expect((await stillThere)[1]).toEqual({ topic: 'plant.pump', brewer: STATIC });
  });

  it('ADM-STATIC-1 no client can unregister it or register its uuid; the same again is silent, another object replaces it', async () => {
    const t = await startTestServer();
    await run(t, 'register static brewer', { topic: 'plant.pump', brewer: STATIC });
    const client = await t.client('mallory', ['all']);
    await expect(client.unregisterBrewer('plant.pump', 'st-1')).rejects.toThrow('Lack Permissions for Request');
    await expect(client.registerBrewer('other.topic', { uuid: 'st-1' })).rejects.toThrow('Lack Permissions for Request: brewer st-1 belongs to another client');
    const watcher = await t.client('watcher', ['all']);
    const frames = recordFrames(watcher);
    await watcher.subscribe('plant.*');
    expect(await run(t, 'register static brewer', { topic: 'plant.pump', brewer: STATIC })).toMatchObject({ status: 'done' });
    const changed = { ...STATIC, port: 7001 };
    const replaced = nextFrame(watcher, (f) => f[0] === Packet.BREWER_NOTIFY && (f[1].brewer as { port?: number }).port === 7001);
    await run(t, 'register static brewer', { topic: 'plant.pump', brewer: changed });
    await replaced;
    await watcher.sync();
    expect(frames.map((f) => f[0])).toEqual([Packet.BREWER_NOTIFY, Packet.BREWER_NOTIFY]);
  });

  it('ADM-STATIC-1 a uuid a client owns cannot become static: the command fails with the reason', async () => {
    const t = await startTestServer();
    const owner = await t.client('owner', ['all']);
    await owner.registerBrewer('a.b', { uuid: 'taken' });
    expect(await run(t, 'register static brewer', { topic: 'a.c', brewer: { uuid: 'taken' } })).toMatchObject({
      status: 'failed',
      error: 'Lack Permissions for Request: brewer taken belongs to the client owner',
    });
  });

  it('ADM-STATIC-2 unregister removes it with BREWER_REMOVED to subscribers of every dialect', async () => {
    const t = await startTestServer();
    await run(t, 'register static brewer', { topic: 'plant.pump', brewer: STATIC });
    const json = await t.client('j', ['all']);
    await json.subscribe('plant.*');
    const pcp = await t.pcp('p', ['all']);
    await pcp.subscribe('plant.*');
    const removed = nextFrame(json, (f) => f[0] === Packet.BREWER_REMOVED);
    const pcpRemoved = nextMessage(pcp, (m) => m.message_type === 'pubkeeper/brewer_removed');
    expect(await run(t, 'unregister_static_brewer', { topic: 'plant.pump', brewer: 'st-1' })).toMatchObject({ status: 'done' });
    expect((await removed)[1]).toEqual({ topic: 'plant.pump', brewer: STATIC });
    expect((await pcpRemoved).data).toEqual({ topic: 'plant.pump', brewer: STATIC });
    expect(t.server.hub.registry.size).toBe(0);
  });
});
