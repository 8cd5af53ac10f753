import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startCluster, type ClusterNode } from '../../helpers/cluster.js';
import { brewerUuids, recordFrames, untilFrames } from '../../helpers/frames.js';
import { nextMessage, uuid } from '../../helpers/pcp.js';


const invalidCount = async (node: ClusterNode): Promise<number> => {
  const match = /pubkeeper_cluster_invalid_values_total(?:\{[^}]*\})? (\d+)/.exec(await node.metrics());
  return Number(match?.[1] ?? Number.NaN);
};

describe('cluster: what is read from Redis is checked like client input', () => {
  it('garbage log entries, hash values and inbox messages are counted and ignored; the nodes and their sessions carry on', async () => {
    const { nodes, redis, prefix } = await startCluster(2);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const tag = `{${prefix}}`;
    const raw = new Redis(redis.url);
    onTestFinished(() => raw.disconnect());
    const patron = await b.client('patron');
    const seen = recordFrames(patron);
    await patron.subscribe('**');
    const brewer = await a.client('brewer');
    await brewer.registerBrewer('ok.one', { uuid: 'one' });

    // Entries no script writes, in the log's own order: not JSON, not ops, ops with bad values.
    const garbage = [
      'not json',
      '{"b+":1}',
      JSON.stringify([['b+', 'bad topic', 'u', '{"uuid":"u"}', '{"uuid":"u"}', 's', 'n', 'x']]),
      JSON.stringify([['b+', 'ok.two', 'u', '{"uuid":"other"}', '{"uuid":"other"}', 's', 'n', 'x']]),
      JSON.stringify([['p+', 'n', 's', 'p.*', 'id', '[{"nope":1}]', '[{"nope":1}]']]),
      JSON.stringify([['n', 'revoke', '{"everyone":true}', 'n']]),
      JSON.stringify([['zz']]),
    ];
    for (const text of garbage) {
      const seq = await raw.hincrby(`${tag}:meta`, 'seq', 1);
      await raw.xadd(`${tag}:log`, `${seq}-0`, 'o', text);
    }
    // A value in the shared hashes no node writes, and a gap in the log, which makes every node
    // read those hashes again.
    await raw.hset(`${tag}:reg`, 'x\u0000y', '[1,2,3]');
    await raw.hset(`${tag}:uri`, 'pcp://bad/agent', 'not json');
    const seq = await raw.hincrby(`${tag}:meta`, 'seq', 5);
    await raw.xadd(`${tag}:log`, `${seq}-0`, 'o', '[]');
    // Inbox messages that are not routed PCP messages.
    const incarnation = ((await b.health()).body.cluster as { incarnation: string }).incarnation;
    for (const text of ['nope', '{"to":"x"}', JSON.stringify({ to: 'x', m: { id: 1 } })]) await raw.publish(`${tag}:inbox:${incarnation}`, text);

    // Everything still works: a registration on A reaches B, a routed message crosses, and the snapshot holds only real brewers.
    await brewer.registerBrewer('ok.three', { uuid: 'three' });
    await untilFrames(patron, () => brewerUuids(seen, 12).includes('three'));
    const agent = await b.pcp('agent');
    await agent.associate();
    const caller = await a.pcp('caller');
    const id = uuid();
    const got = nextMessage(agent, (m) => m.id === id);
    caller.sendRaw(JSON.stringify({ id, message_type: 'demo/after-garbage', target: 'pcp://agent/agent' }));
    await got;
    const fresh = await b.client('fresh');
    const snapshot = recordFrames(fresh);
    await fresh.subscribe('**');
    expect(brewerUuids(snapshot, 12).sort()).toEqual(['one', 'three']);
    expect(brewerUuids(seen, 13)).toEqual([]);
    for (const node of nodes) expect(await invalidCount(node)).toBeGreaterThanOrEqual(garbage.length);
    expect(await invalidCount(b)).toBeGreaterThanOrEqual(garbage.length + 3);
    expect((await a.health()).status).toBe(200);
  }, 30000);

  it('a brewer string Redis could not keep as it is (a lone surrogate) is refused, and changes nothing', async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const client = await a.client('odd');
    await expect(client.registerBrewer('ok.odd', { uuid: 'lone\ud800' })).rejects.toThrow(/Invalid payload.*Unicode/);
    await client.registerBrewer('ok.even', { uuid: 'fine' });
    const watcher = await b.client('watcher');
    const snapshot = recordFrames(watcher);
    await watcher.subscribe('ok.*');
    // The refused one was never written: once B has the later one, B has had everything before it.
    await untilFrames(watcher, () => brewerUuids(snapshot, 12).includes('fine'));
    expect(brewerUuids(snapshot, 12)).toEqual(['fine']);
  });
});
