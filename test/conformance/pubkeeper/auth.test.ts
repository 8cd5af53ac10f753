import { describe, expect, it } from 'vitest';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { closed, errorFor, nextFrame, recordFrames } from '../../helpers/frames.js';
import { startTestServer } from '../../helpers/server.js';

const uuid = '0e7a5c1e-2a4b-4c2a-9f7e-1d2c3b4a5f60';

describe('PubKeeper JSON dialect: authentication', () => {
  it('PK-AUTH-1 every packet before a successful AUTHENTICATE gets "Unauthenticated Request"', async () => {
    const t = await startTestServer();
    const c = await t.connect();
    for (const [packet, payload] of [
      [Packet.BREWER_REGISTER, { topic: 'a.b', brewer: { uuid } }],
      [Packet.BREWER_UNREGISTER, { topic: 'a.b', brewer: uuid }],
      [Packet.SUBSCRIBE, { topic: 'a.*' }],
      [Packet.UNSUBSCRIBE, { topic: 'a.*' }],
      [Packet.SUBSCRIBE, { topic: 42 }],
    ] as const) {
      expect(await errorFor(c, JSON.stringify([packet, payload]))).toMatch(/^Unauthenticated Request/);
    }
    // The session still works: authenticate now and subscribe.
    expect(await c.authenticate(t.keys.mint('alice'))).toBe(true);
    await c.subscribe('a.*');
  });

  it('PK-AUTH-2 AUTHENTICATED answers every AUTHENTICATE; a refused token also gets an ERROR saying why', async () => {
    const t = await startTestServer();
    const c = await t.connect();
    const frames = recordFrames(c, { includeAuthenticated: true });
    c.send(Packet.AUTHENTICATE, { token: t.keys.mint('alice', ['all'], { ttlSeconds: 60, nowSeconds: Math.floor(Date.now() / 1000) - 3600 }) });
    await nextFrame(c, (f) => f[0] === Packet.AUTHENTICATED);
    expect(frames[0]?.[1].message).toMatch(/^Unauthenticated Request.*expired/);
    expect(frames[1]).toEqual([Packet.AUTHENTICATED, { authenticated: false }]);
    const token = t.keys.mint('alice');
    c.send(Packet.AUTHENTICATE, { token });
    c.send(Packet.AUTHENTICATE, { token });
    await nextFrame(c, (f) => f[0] === Packet.AUTHENTICATED && frames.length === 4);
    expect(frames.slice(2)).toEqual([
      [Packet.AUTHENTICATED, { authenticated: true }],
      [Packet.AUTHENTICATED, { authenticated: true }],
    ]);
  });

  it('PK-AUTH-3 three refused tokens while unauthenticated close 4001', async () => {
    const t = await startTestServer();
    const c = await t.connect();
    const frames = recordFrames(c, { includeAuthenticated: true });
    c.send(Packet.AUTHENTICATE, { token: 'not-a-jwt' });
    c.send(Packet.AUTHENTICATE, {}); // a malformed AUTHENTICATE is a refusal too
    c.send(Packet.AUTHENTICATE, { token: 5 });
    expect(await closed(c)).toEqual({ code: 4001, reason: 'Too many failed authentications.' });
    expect(frames.map((f) => f[0])).toEqual([99, 2, 99, 2, 99, 2]);
    expect(frames.filter((f) => f[0] === 2).every((f) => f[1].authenticated === false)).toBe(true);
  });

  it('PK-AUTH-3 no successful AUTHENTICATE within the auth timeout closes 4001', async () => {
    const t = await startTestServer({ config: { authTimeoutMs: 150 } });
    const c = await t.connect();
    const authed = await t.connect();
    await authed.authenticate(t.keys.mint('bob'));
    expect(await closed(c)).toEqual({ code: 4001, reason: 'Not authenticated in time.' });
    // The authenticated session is untouched by the timer.
    await authed.subscribe('x.y');
    expect(authed.closed).toBeUndefined();
  });

  it('PK-AUTH-4 a refused token or another sub on an authenticated session: {authenticated:true} + ERROR, nothing changes', async () => {
    const t = await startTestServer();
    const c = await t.client('alice', ['brew:a.**', 'subscribe:a.**']);
    await c.registerBrewer('a.b', { uuid });
    const watcher = await t.client('watcher', ['subscribe:**']);
    const frames = recordFrames(c, { includeAuthenticated: true });
    c.send(Packet.AUTHENTICATE, { token: 'garbage' });
    c.send(Packet.AUTHENTICATE, { token: t.keys.mint('mallory') });
    await nextFrame(c, () => frames.length === 4);
    expect(frames).toEqual([
      [Packet.ERROR, { message: expect.stringMatching(/^Unauthenticated Request/) }],
      [Packet.AUTHENTICATED, { authenticated: true }],
      [Packet.ERROR, { message: expect.stringMatching(/^Lack Permissions for Request/) }],
      [Packet.AUTHENTICATED, { authenticated: true }],
    ]);
    // Still alice, still brewing: the watcher's snapshot shows the brewer, and alice can unregister it.
    const snapshot = nextFrame(watcher, (f) => f[0] === Packet.BREWER_NOTIFY);
    await watcher.subscribe('a.*');
    expect((await snapshot)[1]).toEqual({ topic: 'a.b', brewer: { uuid } });
    await c.unregisterBrewer('a.b', uuid);
  });

  it('PK-AUTH-4 the held token comes back as is: no ERROR; the same token with one character changed is checked and refused', async () => {
    const t = await startTestServer();
    const c = await t.connect();
    const token = t.keys.mint('alice');
    expect(await c.authenticate(token)).toBe(true);
    // Same length, same header and payload: only the session's digest of the held token tells them apart.
    const at = token.length - 10;
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    const frames = recordFrames(c, { includeAuthenticated: true });
    c.send(Packet.AUTHENTICATE, { token: tampered });
    c.send(Packet.AUTHENTICATE, { token });
    await nextFrame(c, () => frames.length === 3);
    expect(frames).toEqual([
      [Packet.ERROR, { message: 'Unauthenticated Request: bad signature' }],
      [Packet.AUTHENTICATED, { authenticated: true }],
      [Packet.AUTHENTICATED, { authenticated: true }],
    ]);
  });

  it('PK-AUTH-5 a refreshed token with fewer rights removes what they no longer allow', async () => {
    const t = await startTestServer();
    const c = await t.client('alice', ['brew:a.**', 'subscribe:**']);
    await c.registerBrewer('a.keep', { uuid: 'keep' });
    await c.registerBrewer('a.drop.x', { uuid: 'drop' });
    await c.subscribe('a.*');
    await c.subscribe('b.*');
    const watcher = await t.client('watcher', ['subscribe:**']);
    await watcher.subscribe('**');
    const removed = nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    expect(await c.authenticate(t.keys.mint('alice', ['brew:a.keep', 'subscribe:a.*']))).toBe(true);
    expect((await removed)[1]).toEqual({ topic: 'a.drop.x', brewer: { uuid: 'drop' } });
    // b.* was dropped: unsubscribing it is now an error; a.* is kept.
    await expect(c.unsubscribe('b.*')).rejects.toThrow(/^Invalid payload/);
    await c.unsubscribe('a.*');
  });

  it('PK-AUTH-6 a token whose exp passes closes the session 4003 and removes its brewers', async () => {
    const t = await startTestServer();
    const watcher = await t.client('watcher', ['subscribe:**']);
    await watcher.subscribe('**');
    const c = await t.connect();
    const now = Math.floor(Date.now() / 1000);
    // exp one second ahead: the close is driven by the server's timer, not by this test waiting.
    await c.authenticate(t.keys.mint('alice', ['all'], { ttlSeconds: 1, nowSeconds: now }));
    const removed = nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    await c.registerBrewer('t.x', { uuid });
    expect(await closed(c, 3000)).toEqual({ code: 4003, reason: 'Token expired.' });
    expect((await removed)[1]).toEqual({ topic: 't.x', brewer: { uuid } });
  });
});
