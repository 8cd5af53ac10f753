import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PcpClient, PcpConnectError } from '../../../src/client/pcpClient.js';
import { PubkeeperClient } from '../../../src/client/pubkeeperClient.js';
import { admin, adminToken, outcome, run, submit } from '../../helpers/admin.js';
import { startCluster, type ClusterNode, type TestCluster } from '../../helpers/cluster.js';
import { closed, nextFrame, recordFrames, untilFrames } from '../../helpers/frames.js';
import type { TestServer } from '../../helpers/server.js';

/** The admin API of one node, in the shape the admin helpers take. */
const adminOf = (cluster: TestCluster, node: ClusterNode): TestServer => ({ port: node.port, keys: cluster.keys }) as unknown as TestServer;

describe('cluster: admin actions take effect on every node (CONTRACT §7, §8)', () => {
  it('revoke on A closes the sub\'s sessions on B 4004; every node, one that joins later too, refuses the token until unrevoked on C', async () => {
    const cluster = await startCluster(3);
    const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const token = cluster.keys.mint('mallory');
    const onB = await PubkeeperClient.connect(`${b.base}/ws`);
    expect(await onB.authenticate(token)).toBe(true);
    const pcpOnC = await PcpClient.connect(c.base, { token });
    const closes = Promise.all([closed(onB), new Promise((resolve) => pcpOnC.once('close', (code: number) => resolve(code)))]);
    expect(await run(adminOf(cluster, a), 'revoke token', { sub: 'mallory' })).toMatchObject({ status: 'done' });
    const [json, pcp] = await closes;
    expect(json.code).toBe(4004);
    expect(pcp).toBe(4004);

    const late = await cluster.startNode('late');
    for (const node of [b, c, late]) {
      const again = await PubkeeperClient.connect(`${node.base}/ws`);
      await expect(again.authenticate(token)).rejects.toThrow(/revoked|Authentication/i);
      again.socket.terminate();
    }
    await expect(PcpClient.connect(late.base, { token })).rejects.toBeInstanceOf(PcpConnectError);

    expect(await run(adminOf(cluster, c), 'unrevoke token', { sub: 'mallory' })).toMatchObject({ status: 'done', result: { lifted: true } });
    // Told through the same log as every change: a node applies it in order, so a round trip through A after C's change sees it.
    const witness = await c.client('witness');
    await witness.registerBrewer('after.unrevoke', { uuid: 'w' });
    const watcher = await a.client('watcher');
    const seen = recordFrames(watcher);
    await watcher.subscribe('after.*');
    await untilFrames(watcher, () => seen.length === 1);
    const back = await PubkeeperClient.connect(`${a.base}/ws`);
    expect(await back.authenticate(token)).toBe(true);
    back.socket.terminate();
  }, 30000);

  it('kick by URI on A closes the PCP session on B 4005; kick by sub closes every node\'s sessions of that sub', async () => {
    const cluster = await startCluster(2);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const agent = await b.pcp('agent7');
    const kicked = new Promise((resolve) => agent.once('close', (code: number) => resolve(code)));
    expect(await run(adminOf(cluster, a), 'kick client', { uri: 'pcp://agent7/agent' })).toMatchObject({ status: 'done' });
    expect(await kicked).toBe(4005);
    const onA = await a.client('noisy');
    const onB = await b.client('noisy');
    const both = Promise.all([closed(onA), closed(onB)]);
    await run(adminOf(cluster, b), 'kick client', { sub: 'noisy' });
    expect((await both).map((x) => x.code)).toEqual([4005, 4005]);
  });

  it('a static brewer registered through A is seen on B, can be unregistered through B, and no client can take its uuid on any node', async () => {
    const cluster = await startCluster(2);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const watcher = await b.client('watcher');
    const seen = recordFrames(watcher);
    await watcher.subscribe('static.*');
    const notified = nextFrame(watcher, (f) => f[0] === 12);
    expect(await run(adminOf(cluster, a), 'register static brewer', { topic: 'static.db', brewer: { uuid: 'db-1', host: 'db' } })).toMatchObject({
      status: 'done',
    });
    expect((await notified)[1]).toEqual({ topic: 'static.db', brewer: { uuid: 'db-1', host: 'db' } });
    const thief = await b.client('thief');
    await expect(thief.registerBrewer('static.db', { uuid: 'db-1' })).rejects.toThrow(/Lack Permissions/);
    const removed = nextFrame(watcher, (f) => f[0] === 13);
    expect(await run(adminOf(cluster, b), 'unregister static brewer', { topic: 'static.db', brewer: 'db-1' })).toMatchObject({ status: 'done' });
    await removed;
    expect(seen.map(([id]) => id)).toEqual([12, 13]);
  });

  it('a command taken by A is found, with its outcome, through B; a dead letter of A is listed, re-queued and deleted through B', async () => {
    const cluster = await startCluster(2);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const onA = adminOf(cluster, a);
    const onB = adminOf(cluster, b);
    const done = await submit(onA, 'kick client', { sub: 'nobody' });
    expect(await outcome(onB, done)).toMatchObject({ uuid: done, command: 'kick client', status: 'done', result: { kicked: 0 } });
    // Fails for good (no such static brewer): a dead letter in A's store.
    const dead = await submit(onA, 'unregister static brewer', { topic: 'static.none', brewer: 'none' });
    expect(await outcome(onB, dead)).toMatchObject({ status: 'failed' });
    const listed = await admin(onB, '/commands/discarded', { token: adminToken(onB) });
    expect((listed.body.discarded as { uuid: string }[]).map((r) => r.uuid)).toEqual([dead]);
    const requeued = await admin(onB, `/commands/discarded/${dead}/requeue`, { method: 'POST', token: adminToken(onB) });
    expect(requeued).toMatchObject({ status: 200, body: { uuid: dead } });
    // A runs it again, in its own queue, and it fails again: a dead letter once more, marked re-queued.
    const again = await (async () => {
      for (;;) {
        const record = (await admin(onB, `/commands/${dead}`, { token: adminToken(onB) })).body;
        if (record.status === 'failed' && typeof record.requeued === 'string') return record;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    expect(again).toMatchObject({ uuid: dead, status: 'failed' });
    expect(await admin(onB, `/commands/discarded/${dead}`, { method: 'DELETE', token: adminToken(onB) })).toMatchObject({ status: 200 });
    for (;;) {
      const remaining = (await admin(onA, '/commands/discarded', { token: adminToken(onA) })).body.discarded as unknown[];
      if (remaining.length === 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await admin(onB, '/commands/discarded', { token: adminToken(onB) })).body.discarded).toEqual([]);
    expect((await admin(onB, `/commands/${randomUUID()}`, { token: adminToken(onB) })).status).toBe(404);
  });
});
