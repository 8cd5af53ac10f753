import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { LEASE_MS, logLine, startCluster, type ClusterNode } from '../../helpers/cluster.js';
import { brewerUuids, recordFrames, untilFrames, type Frame } from '../../helpers/frames.js';
import { nextMessage } from '../../helpers/pcp.js';

const NOTIFY = 12;
const REMOVED = 13;


const removedAll = (client: PubkeeperClient, frames: readonly Frame[], gone: readonly string[], ms: number): Promise<void> =>
  untilFrames(client, () => gone.every((u) => brewerUuids(frames, REMOVED).includes(u)), ms);

describe('cluster: dead nodes, draining nodes, and Redis going away (CONTRACT §7)', () => {
  it('SIGKILL of a node removes its brewers everywhere within the lease + 1 s; the others keep theirs', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const patron = await b.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    const doomed = await a.client('doomed');
    await doomed.registerBrewer('k.one', { uuid: 'k1' });
    await doomed.registerBrewer('k.two', { uuid: 'k2' });
    const survivor = await c.client('survivor');
    await survivor.registerBrewer('k.three', { uuid: 'k3' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).length === 3);
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await removedAll(patron, seen, ['k1', 'k2'], LEASE_MS + 3000);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 1000);
    expect(brewerUuids(seen, REMOVED).sort()).toEqual(['k1', 'k2']);
    // On B, which has applied the reap (its subscriber was told).
    const late = await b.client('late');
    const snapshot = recordFrames(late);
    await late.subscribe('**');
    expect(brewerUuids(snapshot, NOTIFY)).toEqual(['k3']);
    expect(await c.metrics()).toMatch(/pubkeeper_cluster_reaps_total 1\b|pubkeeper_cluster_reaps_total\{[^}]*\} 1\b/);
  });

  it('SIGTERM: the node closes its sessions 1001 and exits 0; brewers re-registered on another node within the lease never flap', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const patron = await c.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('roll.*');
    const moving = await a.client('mover');
    await moving.registerBrewer('roll.one', { uuid: 'r1', port: 7 });
    const staying = await a.client('stayer');
    await staying.registerBrewer('roll.two', { uuid: 'r2' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).length === 2);
    const closed = new Promise<number>((resolve) => moving.once('close', (code) => resolve(code)));
    a.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await a.exited).toBe(0);
    // The client reconnects to another node and registers again, as the SDK does.
    const again = await b.client('mover');
    await again.registerBrewer('roll.one', { uuid: 'r1', port: 7 });
    // The one nobody re-registered goes when the lease passes; the moved one never did.
    await removedAll(patron, seen, ['r2'], LEASE_MS + 3000);
    expect(seen.map(([id, p]) => `${id}:${(p.brewer as { uuid: string }).uuid}`)).toEqual(['12:r1', '12:r2', '13:r2']);
  });

  it('Redis killed and restarted empty: nodes keep serving, rebuild the shared state, and subscribers see no REMOVED for live brewers', async () => {
    const { nodes, redis } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const patron = await c.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    const brewerA = await a.client('ba');
    await brewerA.registerBrewer('live.a', { uuid: 'la' });
    const brewerB = await b.client('bb');
    await brewerB.registerBrewer('live.b', { uuid: 'lb' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).length === 2);

    await redis.kill();
    await logLine(a, (l) => typeof l.msg === 'string' && l.msg.startsWith('the cluster engine is unreachable'));
    // Still serving from its copy: a new subscriber on B gets every brewer.
    const during = await b.client('during');
    const duringSeen = recordFrames(during);
    await during.subscribe('**');
    expect(brewerUuids(duringSeen, NOTIFY).sort()).toEqual(['la', 'lb']);
    expect((await a.health()).status).toBe(503);

    await redis.restart();
    // Every node rejoins and puts back what its live sessions hold; after that a change still flows.
    for (const node of nodes) await logLine(node, (l) => typeof l.msg === 'string' && l.msg.startsWith('Redis lost the cluster state'));
    await brewerB.registerBrewer('live.after', { uuid: 'after' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).includes('after'), LEASE_MS + 5000);
    // Past the settle time (a lease) every node has made its copy match Redis: still no REMOVED.
    await logLine(c, (l) => l.msg === 'resynced after Redis lost the cluster state', LEASE_MS + 5000);
    expect(brewerUuids(seen, REMOVED)).toEqual([]);
    // On C, which has applied everything its subscriber was told.
    const late = await c.client('late');
    const snapshot = recordFrames(late);
    await late.subscribe('**');
    expect(brewerUuids(snapshot, NOTIFY).sort()).toEqual(['after', 'la', 'lb']);
    expect((await a.health()).body).toMatchObject({ status: 'ok', cluster: { engine: 'reachable' } });
  }, 30000);

  it('Redis paused 5 s (SIGSTOP): no node is reaped, /healthz says degraded meanwhile, and writes made meanwhile are applied in order after', async () => {
    const { nodes, redis } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const patron = await c.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    for (const [node, name] of [
      [a, 'pa'],
      [b, 'pb'],
    ] as const) {
      const client = await node.client(name);
      await client.registerBrewer(`p.${name}`, { uuid: name });
    }
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).length === 2);
    redis.pause();
    await logLine(a, (l) => typeof l.msg === 'string' && l.msg.startsWith('the cluster engine is unreachable'), LEASE_MS * 2);
    expect((await a.health()).body).toMatchObject({ status: 'degraded', cluster: { engine: 'unreachable' } });
    // A write made while Redis is away is held, not lost.
    const writer = await b.client('writer');
    const held = writer.registerBrewer('p.held', { uuid: 'held' });
    // The fault itself is time: Redis stays stopped for 5 s in all, well past the 2 s lease.
    await new Promise((resolve) => setTimeout(resolve, 5000 - LEASE_MS));
    redis.resume();
    await held;
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).includes('held'));
    await logLine(a, (l) => l.msg === 'the cluster engine is reachable again');
    // Nobody is reaped in the lease after Redis came back, when every lease looked expired: an
    // absence, so it is watched for that long.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 500));
    const probe = await a.client('probe');
    await probe.registerBrewer('p.probe', { uuid: 'probe' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).includes('probe'));
    expect(brewerUuids(seen, REMOVED)).toEqual([]);
    for (const node of nodes) expect(await node.metrics()).toMatch(/pubkeeper_cluster_reaps_total(\{[^}]*\})? 0\b/);
  }, 30000);

  it('a node that lost its lease (reaped while its sessions lived) rejoins and puts back what they hold', async () => {
    const { nodes, redis, prefix } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const patron = await c.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    const brewer = await a.client('brewer');
    await brewer.registerBrewer('lease.lost', { uuid: 'lost' });
    const agent = await a.pcp('agent');
    await agent.associate();
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).includes('lost'));
    // As if A had been cut off for longer than its lease: its deadline is in the past.
    const raw = new Redis(redis.url);
    onTestFinished(() => raw.disconnect());
    const incarnation = ((await a.health()).body.cluster as { incarnation: string }).incarnation;
    await raw.zadd(`{${prefix}}:nodes`, 1, incarnation);
    // Bounds for a loaded machine: when no node could renew for most of a lease, the scripts
    // restart every lease (a stall of Redis, as far as they can tell), which delays this by one.
    await logLine(a, (l) => l.msg === 'this node lost its lease: rejoined and restored what it holds', LEASE_MS * 4);
    // Whoever noticed first (A's renewal or reaper, or another node's reaper), once C has a change
    // made through A after the rejoin, it has applied the rejoin and any reap before it.
    await brewer.registerBrewer('lease.witness', { uuid: 'witness' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).includes('witness'), LEASE_MS * 2);
    // Either nothing was told (A rejoined before anyone reaped it), or REMOVED as the genuine
    // failure it was and then NOTIFY: the end state is whole.
    const notified = brewerUuids(seen, NOTIFY).filter((u) => u === 'lost').length;
    const removed = brewerUuids(seen, REMOVED).filter((u) => u === 'lost').length;
    expect(notified).toBe(removed + 1);
    const caller = await b.pcp('caller');
    const id = randomUUID();
    const got = nextMessage(agent, (m) => m.id === id);
    caller.sendRaw(JSON.stringify({ id, message_type: 'demo/still-there', target: 'pcp://agent/agent' }));
    await got;
  }, 30000);

  it('Redis going back in time (older data, same epoch): the nodes start the state again and subscribers see no REMOVED for live brewers', async () => {
    const { nodes, redis, prefix } = await startCluster(2);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const patron = await b.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    const brewer = await a.client('brewer');
    for (const uuid of ['t1', 't2', 't3']) await brewer.registerBrewer(`time.${uuid}`, { uuid });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).length === 3);
    const raw = new Redis(redis.url);
    onTestFinished(() => raw.disconnect());
    // The log's last seq behind what the nodes applied, as after a restore of an older snapshot.
    await raw.hset(`{${prefix}}:meta`, 'seq', 1);
    await logLine(a, (l) => typeof l.msg === 'string' && l.msg.startsWith('Redis went back in time'), LEASE_MS * 2).catch(() =>
      logLine(b, (l) => typeof l.msg === 'string' && l.msg.startsWith('Redis went back in time'), 1),
    );
    for (const node of nodes) await logLine(node, (l) => l.msg === 'resynced after Redis lost the cluster state', LEASE_MS * 3);
    await brewer.registerBrewer('time.after', { uuid: 'after' });
    await untilFrames(patron, () => brewerUuids(seen, NOTIFY).includes('after'));
    expect(brewerUuids(seen, REMOVED)).toEqual([]);
    const late = await a.client('late');
    const snapshot = recordFrames(late);
    await late.subscribe('**');
    expect(brewerUuids(snapshot, NOTIFY).sort()).toEqual(['after', 't1', 't2', 't3']);
  }, 30000);
});
