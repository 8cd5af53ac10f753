import { describe, expect, it } from 'vitest';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { nextFrame, recordFrames, type Frame } from '../../helpers/frames.js';
import { startTestServer } from '../../helpers/server.js';

describe('PubKeeper JSON dialect: subscriptions', () => {
  it('PK-SUB-1 SUBSCRIBE sends the snapshot, then live notifications: none missed, none doubled', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    for (let i = 0; i < 20; i++) await b.registerBrewer(`s.${i}`, { uuid: `u${i}` });
    const s = await t.client('sub');
    const frames = recordFrames(s);
    // Register and unregister while the SUBSCRIBE is in flight: whatever the interleaving, the
    // subscriber's view must end equal to the registry's, with no duplicate and no REMOVED first.
    const churn = (async () => {
      for (let i = 20; i < 60; i++) b.send(Packet.BREWER_REGISTER, { topic: `s.${i}`, brewer: { uuid: `u${i}` } });
      for (let i = 0; i < 60; i += 3) b.send(Packet.BREWER_UNREGISTER, { topic: `s.${i}`, brewer: `u${i}` });
      await b.sync();
    })();
    await s.subscribe('s.*');
    await churn;
    await s.sync();
    const live = new Set<string>();
    for (const [packet, payload] of frames) {
      const id = (payload.brewer as { uuid: string }).uuid;
      if (packet === Packet.BREWER_NOTIFY) {
        expect(live.has(id), `doubled ${id}`).toBe(false);
        live.add(id);
      } else if (packet === Packet.BREWER_REMOVED) {
        expect(live.has(id), `REMOVED before NOTIFY for ${id}`).toBe(true);
        live.delete(id);
      }
    }
    const expected = new Set(Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `u${i}`));
    expect(live).toEqual(expected);
  });

  it('PK-SUB-2 subscribing again to the same pattern re-sends the snapshot, and live events stay single', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    await b.registerBrewer('a.b', { uuid: 'u1' });
    const s = await t.client('sub');
    const frames = recordFrames(s);
    await s.subscribe('a.*');
    await s.subscribe('a.*');
    expect(frames).toEqual([
      [Packet.BREWER_NOTIFY, { topic: 'a.b', brewer: { uuid: 'u1' } }],
      [Packet.BREWER_NOTIFY, { topic: 'a.b', brewer: { uuid: 'u1' } }],
    ]);
    frames.length = 0;
    await b.registerBrewer('a.c', { uuid: 'u2' });
    await s.sync();
    expect(frames).toEqual([[Packet.BREWER_NOTIFY, { topic: 'a.c', brewer: { uuid: 'u2' } }]]);
  });

  it('PK-SUB-3 UNSUBSCRIBE stops notifications; an unknown pattern gets ERROR', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    const s = await t.client('sub');
    await s.subscribe('a.*');
    await s.unsubscribe('a.*');
    await expect(s.unsubscribe('a.*')).rejects.toThrow(/^Invalid payload/);
    await expect(s.unsubscribe('never.subscribed')).rejects.toThrow(/^Invalid payload/);
    const frames = recordFrames(s);
    await b.registerBrewer('a.b', { uuid: 'u1' });
    await s.sync();
    expect(frames).toEqual([]);
    expect(t.server.hub.subscriptions.size).toBe(0);
  });

  it('PK-SUB-4 past max subscriptions per session: "Limit exceeded"; re-subscribing a known pattern is fine', async () => {
    const t = await startTestServer({ config: { maxSubscriptionsPerSession: 2 } });
    const s = await t.client('sub');
    await s.subscribe('a');
    await s.subscribe('b');
    await expect(s.subscribe('c')).rejects.toThrow(/^Limit exceeded/);
    await s.subscribe('a');
    await s.unsubscribe('b');
    await s.subscribe('c');
  });

  it('PK-TOPIC-2 `*` is one segment and `**` zero or more', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer');
    for (const topic of ['a.z', 'a.b.z', 'a.b.c.z', 'a.b', 'b.z']) await b.registerBrewer(topic, { uuid: topic });
    const topicsFor = async (pattern: string): Promise<string[]> => {
      const s = await t.client(`s${pattern.length}-${Math.random().toString(36).slice(2)}`);
      const frames: Frame[] = recordFrames(s);
      await s.subscribe(pattern);
      return frames.map((f) => String(f[1].topic)).sort();
    };
    expect(await topicsFor('a.**.z')).toEqual(['a.b.c.z', 'a.b.z', 'a.z']);
    expect(await topicsFor('a.*.z')).toEqual(['a.b.z']);
    expect(await topicsFor('a.*')).toEqual(['a.b', 'a.z']);
    expect(await topicsFor('**')).toEqual(['a.b', 'a.b.c.z', 'a.b.z', 'a.z', 'b.z']);
    expect(await topicsFor('*.z')).toEqual(['a.z', 'b.z']);
  });

  it('PK-RIGHT-4 brew needs a brew right whose pattern matches the topic', async () => {
    const t = await startTestServer();
    const b = await t.client('brewer', ['brew:sensors.*', { topic: 'legacy.**', read: false, write: true }]);
    await b.registerBrewer('sensors.t1', { uuid: 'u1' });
    await b.registerBrewer('legacy.a.b', { uuid: 'u2' });
    await expect(b.registerBrewer('sensors.t1.x', { uuid: 'u3' })).rejects.toThrow(/^Lack Permissions for Request/);
    await expect(b.registerBrewer('other', { uuid: 'u4' })).rejects.toThrow(/^Lack Permissions for Request/);
    const none = await t.client('reader', ['subscribe:**']);
    await expect(none.registerBrewer('sensors.t1', { uuid: 'u5' })).rejects.toThrow(/^Lack Permissions for Request/);
  });

  it('PK-RIGHT-5 subscribe needs a subscribe right that covers the whole pattern', async () => {
    const t = await startTestServer();
    const s = await t.client('sub', ['subscribe:a.*', { topic: 'x.**', read: true, write: false }]);
    await s.subscribe('a.b');
    await s.subscribe('a.*');
    await s.subscribe('x.y.z');
    await s.subscribe('x.**');
    await expect(s.subscribe('a.**')).rejects.toThrow(/^Lack Permissions for Request/);
    await expect(s.subscribe('**')).rejects.toThrow(/^Lack Permissions for Request/);
    await expect(s.subscribe('a.b.c')).rejects.toThrow(/^Lack Permissions for Request/);
    const all = await t.client('root', ['all']);
    await all.subscribe('**');
    const brewOnly = await t.client('brewonly', ['brew:**']);
    await expect(brewOnly.subscribe('a.b')).rejects.toThrow(/^Lack Permissions for Request/);
  });

  it('PK-WIRE-5 packets are processed and answered in the order they arrive', async () => {
    const t = await startTestServer();
    const s = await t.client('sub');
    const frames = recordFrames(s);
    s.send(Packet.SUBSCRIBE, { topic: 'bad..topic' });
    s.send(Packet.BREWER_REGISTER, { topic: 'o.1', brewer: { uuid: 'o1' } });
    s.send(Packet.SUBSCRIBE, { topic: 'o.*' });
    s.send(Packet.UNSUBSCRIBE, { topic: 'nope' });
    s.send(Packet.BREWER_UNREGISTER, { topic: 'o.1', brewer: 'o1' });
    await nextFrame(s, (f) => f[0] === Packet.BREWER_REMOVED);
    expect(frames.map((f) => f[0])).toEqual([Packet.ERROR, Packet.BREWER_NOTIFY, Packet.ERROR, Packet.BREWER_REMOVED]);
  });
});
