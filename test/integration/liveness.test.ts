import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { closed, nextFrame, recordFrames } from '../helpers/frames.js';
import { startTestServer } from '../helpers/server.js';

describe('liveness and limits over real sockets', () => {
  it('LIVE-1 a client that stops answering pings is terminated, its brewers announced removed', async () => {
    const t = await startTestServer({ config: { pingIntervalMs: 40, maxMissedPongs: 2 } });
    const watcher = await t.client('watcher'); // the SDK's ws answers pings by itself
    await watcher.subscribe('**');
    const mute = new WebSocket(t.url, { autoPong: false });
    await new Promise((resolve) => mute.once('open', resolve));
    mute.send(JSON.stringify([Packet.AUTHENTICATE, { token: t.keys.mint('mute') }]));
    mute.send(JSON.stringify([Packet.BREWER_REGISTER, { topic: 'mute.t', brewer: { uuid: 'm' } }]));
    const notified = nextFrame(watcher, (f) => f[0] === Packet.BREWER_NOTIFY);
    const removed = nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    const muteClosed = new Promise<number>((resolve) => mute.once('close', (code) => resolve(code)));
    expect((await notified)[1]).toEqual({ topic: 'mute.t', brewer: { uuid: 'm' } });
    expect((await removed)[1]).toEqual({ topic: 'mute.t', brewer: { uuid: 'm' } });
    expect(await muteClosed).toBe(1006); // terminated, no close handshake
    // The answering client survived many ping rounds.
    await watcher.sync();
    expect(watcher.closed).toBeUndefined();
    expect(t.server.hub.sessions.size).toBe(1);
  });

  it('LIVE-2 a subscriber that stops reading is cut 1008 "Slow consumer." while a fast one gets every notification', async () => {
    // 1 MiB of unsent output: room for a fast reader the scheduler holds back on a loaded machine, and
    // still a small part of the 18 MB the slow one is sent.
    const t = await startTestServer({ config: { maxUnsentBytes: 1024 * 1024, maxBrewerBytesPerSession: 64 * 1024 * 1024 } });
    const slow = await t.client('slow');
    const fast = await t.client('fast');
    await slow.subscribe('big.*');
    await fast.subscribe('big.*');
    slow.socket.pause(); // stops reading: the kernel buffers fill, then the server's
    const slowClosed = closed(slow, 10_000);
    const fastFrames = recordFrames(fast);
    const b = await t.client('brewer');
    const padding = 'x'.repeat(60_000);
    const count = 300; // ~18 MB for the slow one, far past any socket buffer
    for (let i = 0; i < count; i++) b.send(Packet.BREWER_REGISTER, { topic: `big.${i}`, brewer: { uuid: `u${i}`, padding } });
    await b.sync();
    await fast.sync();
    expect(fastFrames.filter((f) => f[0] === Packet.BREWER_NOTIFY)).toHaveLength(count);
    slow.socket.resume();
    expect(await slowClosed).toEqual({ code: 1008, reason: 'Slow consumer.' });
    expect(t.server.hub.subscriptions.size).toBe(1);
  });

  it('LIVE-3 a refreshed token keeps the session past the first exp; the new exp then closes it 4003', async () => {
    const t = await startTestServer();
    const c = await t.connect();
    const start = Date.now();
    await c.authenticate(t.keys.mint('alice', ['all'], { ttlSeconds: 1 }));
    await c.authenticate(t.keys.mint('alice', ['all'], { ttlSeconds: 4 }));
    const result = await closed(c, 6000);
    expect(result).toEqual({ code: 4003, reason: 'Token expired.' });
    // Closed by the second token's exp (3 to 4 s in), not the first one's (about 1 s in).
    expect(Date.now() - start).toBeGreaterThan(2000);
  });
});
