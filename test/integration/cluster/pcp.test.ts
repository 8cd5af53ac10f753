import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { admin } from '../../helpers/admin.js';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { startCluster, type ClusterNode } from '../../helpers/cluster.js';
import { nextFrame } from '../../helpers/frames.js';
import { nextMessage, recordMessages, uuid, V1Client } from '../../helpers/pcp.js';

/**
 * A client is reachable from every node once the broker has answered it anything: its URI claim
 * is applied before its first frame is handled (protocol/cluster.md), so targets associate first,
 * as PCP clients do.
 */
async function associated(client: V1Client): Promise<void> {
  const id = client.send({ id: uuid(), message_type: MessageType.ASSOCIATE_REQUEST, targets: ['pcp:///server'] });
  await client.next((m) => m.message_type === MessageType.ASSOCIATE_RESPONSE && m.in_reply_to === id);
}

const nextFrameOf = (client: Parameters<typeof nextFrame>[0], id: number): ReturnType<typeof nextFrame> => nextFrame(client, (f) => f[0] === id);

describe('cluster: PCP across nodes (CONTRACT §7)', () => {
  it('a message reaches its target on another node, unchanged but for sender; "Not connected." only when no node holds the URI', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const alice = await a.pcp('alice');
    const bob = await b.pcp('bob');
    await bob.associate();
    await c.pcp('carol');
    const id = uuid();
    const got = nextMessage(bob, (m) => m.id === id);
    alice.sendRaw(JSON.stringify({ id, message_type: 'demo/hello', target: 'pcp://bob/agent', data: { n: [1, null, 'x'] } }));
    expect(await got).toEqual({ id, message_type: 'demo/hello', target: 'pcp://bob/agent', sender: 'pcp://alice/agent', data: { n: [1, null, 'x'] } });
    // And back, in reply.
    const reply = nextMessage(alice, (m) => m.in_reply_to === id);
    bob.sendRaw(JSON.stringify({ id: uuid(), message_type: 'demo/answer', target: 'pcp://alice/agent', in_reply_to: id }));
    expect((await reply).sender).toBe('pcp://bob/agent');
    const missing = uuid();
    const error = nextMessage(alice, (m) => m.message_type === MessageType.ERROR && m.in_reply_to === missing);
    alice.sendRaw(JSON.stringify({ id: missing, message_type: 'demo/hello', target: 'pcp://nobody/agent' }));
    expect((await error).data).toBe('Not connected.');
  });

  it('a PCP v1 client on one node and a v2 client on another exchange messages', async () => {
    const { nodes, keys } = await startCluster(2);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const v2 = await a.pcp('modern');
    const v1 = await V1Client.connect(b.base, keys.mint('legacy'), 'legacy');
    await associated(v1);
    const id = uuid();
    const got = v1.next((m) => m.id === id);
    v2.sendRaw(JSON.stringify({ id, message_type: 'demo/v2-to-v1', target: 'pcp://legacy/agent', data: { ok: true } }));
    expect(await got).toMatchObject({ id, message_type: 'demo/v2-to-v1', sender: 'pcp://modern/agent', data: { ok: true } });
  });

  it('a second connection with the same URI on another node closes the first 4000 and takes its brewers without a flap', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const watcher = await c.client('watcher');
    const frames: [number, Record<string, unknown>][] = [];
    watcher.on('frame', (f) => {
      if (f[0] === 12 || f[0] === 13) frames.push(f);
    });
    await watcher.subscribe('agents.*');
    const first = await a.pcp('dev');
    await first.registerBrewer('agents.dev', { uuid: 'dev-1' });
    const closed = new Promise<number>((resolve) => first.once('close', (code: number) => resolve(code)));
    const second = await b.pcp('dev');
    expect(await closed).toBe(4000);
    // The brewer moved with the URI: the second connection's end removes it.
    await second.close();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (frames.some((f) => f[0] === 13)) resolve();
      };
      watcher.on('frame', check);
      check();
    });
    expect(frames.map(([id, p]) => `${id}:${(p.brewer as { uuid: string }).uuid}`)).toEqual(['12:dev-1', '13:dev-1']);
  });

  it('inventory answers and updates cover every node', async () => {
    const { nodes } = await startCluster(3);
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const observer = await a.pcp('observer', 'controller');
    const updates = recordMessages(observer);
    await observer.inventory(['pcp://*/agent'], { subscribe: true });
    const first = nextMessage(observer, (m) => m.message_type === MessageType.INVENTORY_UPDATE);
    await b.pcp('one');
    expect((await first).data).toEqual({ changes: [{ client: 'pcp://one/agent', change: 1 }] });
    // A query from another client of A (a query without subscribe would end the observer's subscription).
    const asker = await a.pcp('asker', 'controller');
    expect(await asker.inventory(['pcp://*/agent'])).toEqual(['pcp://one/agent']);
    const joined = nextMessage(observer, (m) => m.message_type === MessageType.INVENTORY_UPDATE);
    const two = await c.pcp('two');
    expect((await joined).data).toEqual({ changes: [{ client: 'pcp://two/agent', change: 1 }] });
    const left = nextMessage(observer, (m) => m.message_type === MessageType.INVENTORY_UPDATE && JSON.stringify(m.data).includes('-1'));
    await two.close();
    expect((await left).data).toEqual({ changes: [{ client: 'pcp://two/agent', change: -1 }] });
    expect(updates.filter((m) => m.message_type === MessageType.INVENTORY_UPDATE)).toHaveLength(3);
  });

  it('fifty messages from one node to a target on another all arrive, in the order sent', async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const sender = await a.pcp('sender');
    const target = await b.pcp('target');
    await target.associate();
    const seen = recordMessages(target);
    const ids = Array.from({ length: 50 }, () => uuid());
    for (const id of ids) sender.sendRaw(JSON.stringify({ id, message_type: 'demo/burst', target: 'pcp://target/agent' }));
    await nextMessage(target, () => seen.filter((m) => m.message_type === 'demo/burst').length === ids.length);
    // In order: one node's messages to one target keep their order across the cluster.
    expect(seen.filter((m) => m.message_type === 'demo/burst').map((m) => m.id)).toEqual(ids);
  });

  it('discovery over the PCP envelope: a brewer registered by a PCP client on A is notified to PCP and JSON subscribers on B', async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const pcpSubscriber = await b.pcp('watcher');
    const json = await b.client('json-watcher');
    const jsonSeen = nextFrameOf(json, 12);
    await json.subscribe('svc.*');
    const notified = nextMessage(pcpSubscriber, (m) => m.message_type === MessageType.PK_BREWER_NOTIFY);
    await pcpSubscriber.subscribe('svc.*');
    const agent = await a.pcp('svc-agent');
    await agent.registerBrewer('svc.api', { uuid: 'api-1', port: 443 });
    expect((await notified).data).toEqual({ topic: 'svc.api', brewer: { uuid: 'api-1', port: 443 } });
    expect((await jsonSeen)[1]).toEqual({ topic: 'svc.api', brewer: { uuid: 'api-1', port: 443 } });
  });

  it('a message that reaches a node after its target left there is answered "Not connected." to its sender, on the sender\'s node', async () => {
    const cluster = await startCluster(2);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const sender = await a.pcp('sender');
    await sender.associate();
    const sessions = await admin({ port: a.port }, '/admin/sessions', { token: cluster.keys.mint('root', ['admin:*']) });
    const senderSession = (sessions.body.sessions as { id: string; uri: string | null }[]).find((s) => s.uri === 'pcp://sender/agent')?.id;
    const health = (node: ClusterNode) => node.health().then((h) => (h.body.cluster as { incarnation: string }).incarnation);
    const [senderNode, targetNode] = await Promise.all([health(a), health(b)]);
    // What A publishes for a target on B, arriving there after the target's session has gone.
    const id = uuid();
    const answered = nextMessage(sender, (m) => m.in_reply_to === id);
    const raw = new Redis(cluster.redis.url);
    onTestFinished(() => raw.disconnect());
    const message = { id, message_type: 'demo/late', target: 'pcp://gone/agent', sender: 'pcp://sender/agent' };
    await raw.publish(`{${cluster.prefix}}:inbox:${targetNode}`, JSON.stringify({ to: 'no-such-session', m: message, r: [senderNode, senderSession] }));
    expect(await answered).toMatchObject({ message_type: MessageType.ERROR, sender: 'pcp:///server', in_reply_to: id, data: 'Not connected.' });
  });
});
