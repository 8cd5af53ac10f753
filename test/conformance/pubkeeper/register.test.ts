import { describe, expect, it } from 'vitest';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { closed, nextFrame, recordFrames } from '../../helpers/frames.js';
import { startTestServer } from '../../helpers/server.js';

const brewer = { uuid: 'b-1', hostname: 'h1', port: 9899, protocol: 'udp' };
const notifies = (frames: [number, Record<string, unknown>][]) => frames.filter((f) => f[0] === Packet.BREWER_NOTIFY);
const removals = (frames: [number, Record<string, unknown>][]) => frames.filter((f) => f[0] === Packet.BREWER_REMOVED);

describe('PubKeeper JSON dialect: brewers', () => {
  it('PK-REG-1 BREWER_REGISTER notifies every session with a matching subscription, and no other', async () => {
    const t = await startTestServer();
    const brewerClient = await t.client('brewer');
    const exact = await t.client('s1');
    const star = await t.client('s2');
    const globstar = await t.client('s3');
    const other = await t.client('s4');
    await exact.subscribe('a.b');
    await star.subscribe('a.*');
    await globstar.subscribe('**.b');
    await other.subscribe('a.c');
    const seen = [exact, star, globstar, other].map((c) => recordFrames(c));
    await brewerClient.registerBrewer('a.b', brewer);
    await Promise.all([exact, star, globstar, other].map((c) => c.sync()));
    for (const frames of seen.slice(0, 3)) expect(frames).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.b', brewer }]]);
    expect(seen[3]).toEqual([]);
  });

  it('PK-REG-2 a session is notified once however many of its patterns match', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    const s = await t.client('sub');
    for (const p of ['a.b', 'a.*', '**', 'a.**', '*.b']) await s.subscribe(p);
    const frames = recordFrames(s);
    await b.registerBrewer('a.b', brewer);
    await b.unregisterBrewer('a.b', brewer.uuid);
    await s.sync();
    expect(frames).toEqual([
      [Packet.BREWER_NOTIFY, { topic: 'a.b', brewer }],
      [Packet.BREWER_REMOVED, { topic: 'a.b', brewer }],
    ]);
  });

  it('PK-REG-3 re-registering with another object replaces and notifies again; an identical one is a no-op', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    const s = await t.client('sub');
    await s.subscribe('a.b');
    const frames = recordFrames(s);
    await b.registerBrewer('a.b', brewer);
    await b.registerBrewer('a.b', { port: 9899, protocol: 'udp', hostname: 'h1', uuid: 'b-1' }); // same, keys reordered
    const moved = { ...brewer, hostname: 'h2' };
    await b.registerBrewer('a.b', moved);
    await s.sync();
    expect(frames).toEqual([
      [Packet.BREWER_NOTIFY, { topic: 'a.b', brewer }],
      [Packet.BREWER_NOTIFY, { topic: 'a.b', brewer: moved }],
    ]);
    // The snapshot holds only the replacement.
    const late = await t.client('late');
    const lateFrames = recordFrames(late);
    await late.subscribe('a.b');
    expect(lateFrames).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.b', brewer: moved }]]);
  });

  it('PK-REG-4 a uuid belongs to one sub: another sub registering it gets "Lack Permissions", nothing changes', async () => {
    const t = await startTestServer();
    const alice = await t.client('alice');
    const mallory = await t.client('mallory');
    await alice.registerBrewer('a.b', brewer);
    await expect(mallory.registerBrewer('a.b', { ...brewer, hostname: 'evil' })).rejects.toThrow(/^Lack Permissions for Request/);
    await expect(mallory.registerBrewer('other.topic', brewer)).rejects.toThrow(/^Lack Permissions for Request/);
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('**');
    expect(frames).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.b', brewer }]]);
    // mallory's session still works
    await mallory.registerBrewer('m.x', { uuid: 'm-1' });
  });

  it('PK-REG-5 the same sub registering from a new session takes over; the old session ending no longer removes it', async () => {
    const t = await startTestServer();
    const s = await t.client('sub');
    await s.subscribe('**');
    const old = await t.client('svc');
    await old.registerBrewer('a.b', brewer);
    const fresh = await t.client('svc');
    const frames = recordFrames(s);
    await fresh.registerBrewer('a.b', brewer);
    await old.close();
    await s.sync();
    expect(frames).toEqual([]); // identical takeover: no notify; old close: no removal
    const removed = nextFrame(s, (f) => f[0] === Packet.BREWER_REMOVED);
    fresh.socket.terminate();
    expect((await removed)[1]).toEqual({ topic: 'a.b', brewer });
  });

  it('PK-REG-6 past max brewers per session: "Limit exceeded", existing ones kept', async () => {
    const t = await startTestServer({ config: { maxBrewersPerSession: 2 } });
    const b = await t.client('brewer');
    await b.registerBrewer('a.1', { uuid: 'u1' });
    await b.registerBrewer('a.2', { uuid: 'u2' });
    await expect(b.registerBrewer('a.3', { uuid: 'u3' })).rejects.toThrow(/^Limit exceeded/);
    await b.registerBrewer('a.2', { uuid: 'u2', port: 1 }); // replacing is not a new one
    // Taking over another session's registration is a new one for this session: refused at the limit.
    const other = await t.client('brewer');
    await other.registerBrewer('a.9', { uuid: 'u9' });
    await expect(b.registerBrewer('a.9', { uuid: 'u9' })).rejects.toThrow(/^Limit exceeded/);
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('a.*');
    expect(notifies(frames).map((f) => f[1].topic)).toEqual(['a.1', 'a.2', 'a.9']);
  });

  it('PK-REG-1 the brewer object reaches subscribers exactly as registered, key order and odd keys included', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    const s = await t.client('sub');
    await s.subscribe('a.b');
    const raw = '{"hostname":"h","port":1,"uuid":"odd","__proto__":{"x":1},"nested":{"z":1,"a":[null,true]}}';
    const text = new Promise<string>((resolve) => s.socket.once('message', (d) => resolve(d.toString())));
    b.sendRaw(`[10,{"topic":"a.b","brewer":${raw}}]`);
    expect(await text).toBe(`[12,{"topic":"a.b","brewer":${raw}}]`);
    // The exact object unregisters it; one without the "__proto__" key does not.
    await expect(b.unregisterBrewer('a.b', { uuid: 'odd', hostname: 'h', port: 1, nested: { z: 1, a: [null, true] } })).rejects.toThrow(/^Invalid payload/);
    const removed = nextFrame(s, (f) => f[0] === Packet.BREWER_REMOVED);
    b.sendRaw(`[11,{"topic":"a.b","brewer":${raw}}]`);
    await removed;
  });

  it('PK-REG-8 a brewer object past max-brewer-bytes, or a session past max-brewer-bytes-per-session, gets "Limit exceeded"', async () => {
    const t = await startTestServer({ config: { maxBrewerBytes: 200, maxBrewerBytesPerSession: 500 } });
    const b = await t.client('brewer');
    await expect(b.registerBrewer('a.big', { uuid: 'big', pad: 'x'.repeat(300) })).rejects.toThrow(/^Limit exceeded/);
    await b.registerBrewer('a.1', { uuid: 'u1', pad: 'x'.repeat(150) });
    await b.registerBrewer('a.2', { uuid: 'u2', pad: 'x'.repeat(150) });
    await expect(b.registerBrewer('a.3', { uuid: 'u3', pad: 'x'.repeat(150) })).rejects.toThrow(/^Limit exceeded/);
    await b.registerBrewer('a.2', { uuid: 'u2', pad: 'y'.repeat(150) }); // replacing its own: the old bytes are freed
    await b.unregisterBrewer('a.1', 'u1');
    await b.registerBrewer('a.3', { uuid: 'u3', pad: 'x'.repeat(150) });
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('a.*');
    expect(frames.map((f) => f[1].topic).sort()).toEqual(['a.2', 'a.3']);
  });

  it('PK-REG-7 brewers register literal topics only', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    for (const topic of ['a.*', '**', 'a..b', '', 'a b']) {
      await expect(b.registerBrewer(topic, { uuid: 'x' })).rejects.toThrow(/^Invalid payload/);
    }
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('**');
    expect(frames).toEqual([]);
  });

  it('PK-UNREG-1 BREWER_UNREGISTER by uuid or by the exact object (key order aside) sends BREWER_REMOVED', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    const s = await t.client('sub');
    await s.subscribe('a.*');
    await b.registerBrewer('a.b', brewer);
    await b.registerBrewer('a.c', { uuid: 'b-2', nested: { x: 1, y: [1, 2] } });
    const frames = recordFrames(s);
    await b.unregisterBrewer('a.b', 'b-1');
    await b.unregisterBrewer('a.c', { nested: { y: [1, 2], x: 1 }, uuid: 'b-2' });
    await s.sync();
    expect(removals(frames)).toEqual([
      [Packet.BREWER_REMOVED, { topic: 'a.b', brewer }],
      [Packet.BREWER_REMOVED, { topic: 'a.c', brewer: { uuid: 'b-2', nested: { x: 1, y: [1, 2] } } }],
    ]);
  });

  it('PK-UNREG-2 an object not exactly the registered one, or an unknown brewer, gets "Invalid payload"; nothing changes', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    await b.registerBrewer('a.b', brewer);
    await expect(b.unregisterBrewer('a.b', { ...brewer, port: 1 })).rejects.toThrow(/^Invalid payload/);
    await expect(b.unregisterBrewer('a.b', { uuid: 'b-1' })).rejects.toThrow(/^Invalid payload/);
    await expect(b.unregisterBrewer('a.b', 'nope')).rejects.toThrow(/^Invalid payload/);
    await expect(b.unregisterBrewer('a.c', 'b-1')).rejects.toThrow(/^Invalid payload/);
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('a.b');
    expect(frames).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.b', brewer }]]);
  });

  it('PK-UNREG-3 unregistering a brewer owned by another sub gets "Lack Permissions"; it stays', async () => {
    const t = await startTestServer();
    const alice = await t.client('alice');
    const mallory = await t.client('mallory');
    await alice.registerBrewer('a.b', brewer);
    await expect(mallory.unregisterBrewer('a.b', 'b-1')).rejects.toThrow(/^Lack Permissions for Request/);
    await expect(mallory.unregisterBrewer('a.b', brewer)).rejects.toThrow(/^Lack Permissions for Request/);
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('a.b');
    expect(notifies(frames)).toHaveLength(1);
  });

  it('PK-END-1 a session that ends takes its brewers with it (BREWER_REMOVED) and drops its subscriptions', async () => {
    const t = await startTestServer();
    const s = await t.client('sub');
    await s.subscribe('**');
    const b = await t.client('brewer');
    await b.registerBrewer('a.1', { uuid: 'u1' });
    await b.registerBrewer('a.2', { uuid: 'u2' });
    await b.subscribe('**');
    const frames = recordFrames(s);
    const gone = nextFrame(s, () => removals(frames).length === 2);
    b.socket.terminate();
    await gone;
    expect(removals(frames).map((f) => f[1].topic).sort()).toEqual(['a.1', 'a.2']);
    expect(t.server.hub.subscriptions.size).toBe(1);
    expect((await closed(b)).code).toBe(1006);
  });
});
