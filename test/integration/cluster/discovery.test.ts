import { describe, expect, it } from 'vitest';
import type { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { startCluster } from '../../helpers/cluster.js';
import { nextFrame, recordFrames, untilFrames, type Frame } from '../../helpers/frames.js';
import { V1RawClient } from '../../helpers/v1Client.js';

const NOTIFY = 12;
const REMOVED = 13;

/** The brewers a subscriber's frames say are registered now, by uuid. */
function current(frames: readonly Frame[]): Map<string, unknown> {
  const now = new Map<string, unknown>();
  for (const [id, payload] of frames) {
    const brewer = payload.brewer as { uuid: string };
    if (id === NOTIFY) now.set(brewer.uuid, brewer);
    if (id === REMOVED) now.delete(brewer.uuid);
  }
  return now;
}

/**
 * Waits (on frames, not time) until the subscriber's view holds exactly `uuids`. `frames` is the
 * list a recorder keeps adding to, or a function that reads it afresh.
 */
async function converges(client: PubkeeperClient, frames: readonly Frame[] | (() => readonly Frame[]), uuids: readonly string[], ms = 5000): Promise<void> {
  const read = typeof frames === 'function' ? frames : () => frames;
  const want = [...uuids].sort().join(',');
  await untilFrames(client, () => [...current(read()).keys()].sort().join(',') === want, ms).catch(() => undefined);
  expect([...current(read()).keys()].sort()).toEqual([...uuids].sort());
}

describe('cluster: one registry across nodes (CONTRACT §7)', () => {
  it('a brewer registered on A reaches a subscriber on B within 500 ms, once; SUBSCRIBE on C returns the brewers of every node', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
    const patron = await b.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('x.**');
    const brewerA = await a.client('brewer-a');
    const notified = nextFrame(patron, (f) => f[0] === NOTIFY);
    const sent = Date.now();
    await brewerA.registerBrewer('x.y', { uuid: 'ua', host: 'a', port: 1 });
    const [, payload] = await notified;
    expect(Date.now() - sent).toBeLessThan(500);
    expect(payload).toEqual({ topic: 'x.y', brewer: { uuid: 'ua', host: 'a', port: 1 } });

    const brewerC = await c.client('brewer-c');
    await brewerC.registerBrewer('x.z', { uuid: 'uc' });
    const late = await c.client('late');
    const snapshot = recordFrames(late);
    await late.subscribe('x.*');
    expect(snapshot.map(([id, p]) => [id, p.topic]).sort()).toEqual([
      [NOTIFY, 'x.y'],
      [NOTIFY, 'x.z'],
    ]);
    await converges(patron, seen, ['ua', 'uc']);
    // Once per session: each brewer notified exactly once.
    expect(seen.filter(([id]) => id === NOTIFY)).toHaveLength(2);
    // C joined last: its join counted all three nodes (the others learn it at their next renewal).
    const metrics = await c.metrics();
    expect(metrics).toMatch(/^pubkeeper_cluster_engine_reachable\{node="n3"\} 1$/m);
    expect(metrics).toMatch(/^pubkeeper_cluster_nodes\{node="n3"\} 3$/m);
    expect(metrics).toMatch(/^pubkeeper_cluster_log_lag\{node="n3"\} \d+$/m);
    expect(metrics).toMatch(/^pubkeeper_brewers 2$/m);
  });

  it('a session ending on A removes its brewers on every node; an explicit unregister on B too', async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
    const patron = await b.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    const brewer = await a.client('brewer');
    await brewer.registerBrewer('t.one', { uuid: 'u1' });
    await brewer.registerBrewer('t.two', { uuid: 'u2' });
    await converges(patron, seen, ['u1', 'u2']);
    const other = await b.client('brewer');
    await other.unregisterBrewer('t.one', 'u1');
    await converges(patron, seen, ['u2']);
    await brewer.close();
    await converges(patron, seen, []);
    expect(seen.map(([id, p]) => `${id}:${(p.brewer as { uuid: string }).uuid}`)).toEqual(['12:u1', '12:u2', '13:u1', '13:u2']);
  });

  it('a register/unregister storm on two nodes while a subscriber on a third re-subscribes: every stream well formed, the final snapshot exact', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
    const patron = await c.client('patron');
    const frames: (Frame | 'cut')[] = [];
    patron.on('frame', (f) => {
      if (f[0] === NOTIFY || f[0] === REMOVED) frames.push(f);
    });
    await patron.subscribe('storm.**');

    const storm = async (client: PubkeeperClient, prefix: string): Promise<Set<string>> => {
      const registered = new Set<string>();
      for (let i = 0; i < 150; i++) {
        const uuid = `${prefix}-${i % 12}`;
        const topic = `storm.${prefix}.${i % 3}`;
        if (registered.has(`${topic}|${uuid}`)) {
          await client.unregisterBrewer(topic, uuid);
          registered.delete(`${topic}|${uuid}`);
        } else if (![...registered].some((k) => k.endsWith(`|${uuid}`))) {
          await client.registerBrewer(topic, { uuid, round: i });
          registered.add(`${topic}|${uuid}`);
        }
      }
      return registered;
    };
    const resubscribe = async (): Promise<void> => {
      for (let i = 0; i < 8; i++) {
        await patron.unsubscribe('storm.**');
        // Nothing can arrive between the unsubscribe's barrier and the next subscribe: a cut.
        frames.push('cut');
        await patron.subscribe('storm.**');
      }
    };
    const [fromA, fromB] = await Promise.all([storm(await a.client('sa'), 'a'), storm(await b.client('sb'), 'b'), resubscribe()]);
    const final = [...fromA, ...fromB].map((k) => k.split('|')[1] as string);

    // Per subscription, per brewer: NOTIFY, REMOVED, NOTIFY… never REMOVED first, never twice the same.
    let epoch = new Map<string, number>();
    for (const entry of frames) {
      if (entry === 'cut') {
        epoch = new Map();
        continue;
      }
      const [id, payload] = entry;
      const key = `${String(payload.topic)}|${(payload.brewer as { uuid: string }).uuid}`;
      const last = epoch.get(key) ?? REMOVED;
      expect(id, `${key} got ${id} after ${last}`).not.toBe(last);
      epoch.set(key, id);
    }
    // The last subscription's view, read afresh as the storm's last events arrive.
    const lastCut = frames.lastIndexOf('cut');
    await converges(patron, () => frames.slice(lastCut + 1) as Frame[], final);

    // A new subscription on the node whose copy has caught up (above) gets exactly that.
    const fresh = await c.client('fresh');
    const snapshot = recordFrames(fresh);
    await fresh.subscribe('storm.**');
    expect(snapshot.map(([, p]) => (p.brewer as { uuid: string }).uuid).sort()).toEqual([...final].sort());
  }, 60000);

  it('two subs racing for one uuid on two nodes: exactly one wins, the other gets "Lack Permissions" on either node', async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
    for (let round = 0; round < 5; round++) {
      const alice = await a.client(`alice${round}`);
      const bob = await b.client(`bob${round}`);
      const uuid = `contested-${round}`;
      const topic = `race.${round}`;
      const outcomes = await Promise.allSettled([alice.registerBrewer(topic, { uuid, by: 'alice' }), bob.registerBrewer(topic, { uuid, by: 'bob' })]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(String(lost[0]?.reason)).toMatch(/Lack Permissions/);
      const watcher = await (round % 2 ? a : b).client('watcher');
      const snapshot = recordFrames(watcher);
      await watcher.subscribe(topic);
      // The winner's entry reaches the watcher's node in the snapshot or just after it, once.
      await converges(watcher, snapshot, [uuid]);
      expect(snapshot.filter(([, p]) => (p.brewer as { uuid: string }).uuid === uuid)).toHaveLength(1);
      expect((snapshot[0]?.[1].brewer as { by: string }).by).toBe(won[0] === outcomes[0] ? 'alice' : 'bob');
    }
  }, 30000);

  it('the same sub re-registering an identical brewer on another node takes it over silently; the old session ending no longer removes it', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
    const patron = await c.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('svc.*');
    const first = await a.client('svc');
    await first.registerBrewer('svc.one', { uuid: 's1', port: 1 });
    await converges(patron, seen, ['s1']);
    const second = await b.client('svc');
    await second.registerBrewer('svc.one', { port: 1, uuid: 's1' });
    await first.close();
    // The takeover and the close have been applied on C once a later change from B arrives there.
    await second.registerBrewer('svc.two', { uuid: 's2' });
    await converges(patron, seen, ['s1', 's2']);
    expect(seen.map(([id, p]) => `${id}:${(p.brewer as { uuid: string }).uuid}`)).toEqual(['12:s1', '12:s2']);
    // Another sub still cannot have the uuid, on any node.
    const thief = await c.client('thief');
    await expect(thief.registerBrewer('svc.one', { uuid: 's1' })).rejects.toThrow(/Lack Permissions/);
  });

  it('a 1.x patron on one node pairs with a 1.x brewer on another, both told', async () => {
    const { nodes, keys } = await startCluster(2);
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
    const ws = { name: 'websocket', hostname: '127.0.0.1', port: 9912, secure: false };
    const patronId = 'fedcba9876543210fedcba9876543210';
    const brewerId = '0123456789abcdef0123456789abcdef';
    const patron = await V1RawClient.connect(`${b.base}/ws`);
    expect(await patron.authenticate(keys.mint('p'))).toBe(true);
    patron.send(V1Packet.PATRON_REGISTER, { topic: 'v1.*', patron_id: patronId, brews: [{ name: 'websocket' }] });
    expect(await patron.next((p) => p[0] === V1Packet.BREWER_NOTIFY)).toEqual([V1Packet.BREWER_NOTIFY, { patron_id: patronId, brewers: [] }]);
    const brewer = await V1RawClient.connect(`${a.base}/ws`);
    expect(await brewer.authenticate(keys.mint('b'))).toBe(true);
    brewer.send(V1Packet.BREWER_REGISTER, { topic: 'v1.x', brewer_id: brewerId, brewer_config: {}, brews: [ws] });
    expect(await brewer.next((p) => p[0] === V1Packet.PATRON_NOTIFY)).toEqual([
      V1Packet.PATRON_NOTIFY,
      { brewer_id: brewerId, patrons: [{ topic: 'v1.x', patron_id: patronId, brew: { name: 'websocket' } }] },
    ]);
    expect(await patron.next((p) => p[0] === V1Packet.BREWER_NOTIFY && (p[1].brewers as unknown[]).length === 1)).toEqual([
      V1Packet.BREWER_NOTIFY,
      { patron_id: patronId, brewers: [{ topic: 'v1.x', brewer_id: brewerId, brewer_config: {}, brew: ws }] },
    ]);
    brewer.socket.close();
    expect(await patron.next((p) => p[0] === V1Packet.BREWER_REMOVED)).toEqual([
      V1Packet.BREWER_REMOVED,
      { topic: 'v1.x', patron_id: patronId, brewer_id: brewerId },
    ]);
  });

  it('a session\'s uuids stay its sub\'s on every node for --uuid-reserve-ms after it ends on any node', async () => {
    const { nodes } = await startCluster(2, ['--uuid-reserve-ms', '30000']);
    const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
    const owner = await a.client('owner');
    await owner.registerBrewer('r.one', { uuid: 'kept' });
    await owner.close();
    const thief = await b.client('thief');
    // Whenever the thief's register reaches Redis, the uuid is the owner's: registered, then reserved.
    await expect(thief.registerBrewer('r.one', { uuid: 'kept' })).rejects.toThrow(/Lack Permissions/);
    const back = await b.client('owner');
    await back.registerBrewer('r.one', { uuid: 'kept' });
  });
});
