import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { PcpClient, PcpConnectError } from '../../../src/client/pcpClient.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { nextFrame, recordFrames } from '../../helpers/frames.js';
import { startTestServer } from '../../helpers/server.js';

/** The HTTP status of an upgrade attempt (101 when the WebSocket opened). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('PCP: connecting', () => {
  it('PCP-CONN-1 the token comes as a Bearer header or ?token=; bad or missing is HTTP 401 before any WebSocket', async () => {
    const t = await startTestServer();
    const token = t.keys.mint('node1', []);
    expect(await upgradeStatus(`${t.base}/pcp/v2.0/agent`, { authorization: `Bearer ${token}` })).toBe(101);
    expect(await upgradeStatus(`${t.base}/pcp/v2.0/agent?token=${token}`)).toBe(101);
    expect(await upgradeStatus(`${t.base}/pcp/v1.0/agent?token=${token}`)).toBe(101);
    expect(await upgradeStatus(`${t.base}/pcp/v2.0/agent`)).toBe(401);
    expect(await upgradeStatus(`${t.base}/pcp/v2.0/agent`, { authorization: 'Bearer nonsense' })).toBe(401);
    expect(await upgradeStatus(`${t.base}/pcp/v2.0/agent`, { authorization: `Basic ${token}` })).toBe(401);
    expect(await upgradeStatus(`${t.base}/pcp/v1.0/agent?token=x.y.z`)).toBe(401);
    const expired = t.keys.mint('node1', [], { ttlSeconds: 1, nowSeconds: Math.floor(Date.now() / 1000) - 60 });
    await expect(PcpClient.connect(t.base, { token: expired })).rejects.toEqual(new PcpConnectError(401));
    expect(t.server.hub.sessions.size).toBe(0);
  });

  it('PCP-CONN-2 the URI is pcp://<sub>/<type>; a bad type is 400, type `server` is 403', async () => {
    const t = await startTestServer();
    const token = t.keys.mint('node1', []);
    const auth = { authorization: `Bearer ${token}` };
    for (const bad of ['', 'a%20b', 'x'.repeat(65), 'a%2Fb', 'a*', '%ZZ']) {
      expect(await upgradeStatus(`${t.base}/pcp/v2.0/${bad}`, auth), bad).toBe(400);
    }
    expect(await upgradeStatus(`${t.base}/pcp/v2.0/server`, auth)).toBe(403);
    expect(await upgradeStatus(`${t.base}/pcp/v1.0/server`, auth)).toBe(403);
    expect(await upgradeStatus(`${t.base}/pcp/v3.0/agent`, auth)).toBe(404);
    const c = await t.pcp('node1', ['inventory:pcp://*/*'], { type: 'my_type-1.x' });
    expect(c.uri).toBe('pcp://node1/my_type-1.x');
    // Offered subprotocols are not selected: the 101 carries no Sec-WebSocket-Protocol.
    const offered = new WebSocket(`${t.base}/pcp/v2.0/other`, ['pcp', 'x'], { headers: auth });
    offered.on('error', () => undefined); // ws refuses a 101 without one of its offers
    const upgrade = await new Promise<IncomingMessage>((resolve) => offered.once('upgrade', resolve));
    expect(upgrade.statusCode).toBe(101);
    expect(upgrade.headers['sec-websocket-protocol']).toBeUndefined();
    offered.terminate();
    expect(await c.inventory(['pcp://*/my_type-1.x'])).toEqual(['pcp://node1/my_type-1.x']);
  });

  it('PCP-CONN-3 a second connection with the same URI closes the older one 4000 "Session superseded."', async () => {
    const t = await startTestServer({ config: { inventoryBatchMs: 20 } });
    const first = await t.pcp('node1', ['all']);
    const watcher = await t.pcp('watcher', ['all']);
    await watcher.inventory(['pcp://*/agent'], { subscribe: true });
    const firstClosed = new Promise<[number, string]>((resolve) => first.once('close', (code, reason) => resolve([code, reason])));
    const updates = new Promise<unknown>((resolve) => watcher.once('inventoryUpdate', resolve));
    const second = await t.pcp('node1', ['all']);
    expect(await firstClosed).toEqual([4000, 'Session superseded.']);
    expect(await updates).toEqual([
      { client: 'pcp://node1/agent', change: -1 },
      { client: 'pcp://node1/agent', change: 1 },
    ]);
    // The newer one is the one that receives, and the old close did not remove it.
    const got = new Promise((resolve) => second.once('message', resolve));
    watcher.send('pcp://node1/agent', 'example/hello', { n: 1 });
    expect(await got).toMatchObject({ message_type: 'example/hello', data: { n: 1 }, sender: 'pcp://watcher/agent' });
    expect(await watcher.inventory(['pcp://*/*'])).toEqual(['pcp://node1/agent', 'pcp://watcher/agent']);
  });

  it('PCP-CONN-5 the superseding session takes the older one\'s brewers over silently; subscriptions do not move', async () => {
    const t = await startTestServer();
    const watcher = await t.client('watcher');
    await watcher.subscribe('**');
    const first = await t.pcp('node1', ['brew:n.*', 'subscribe:**']);
    await first.registerBrewer('n.a', { uuid: 'a' });
    await first.registerBrewer('n.b', { uuid: 'b' });
    await first.subscribe('**');
    const frames = recordFrames(watcher);
    const second = await t.pcp('node1', ['brew:n.a', 'subscribe:**']); // fewer rights: n.b must go
    const removed = await nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    expect(removed[1]).toEqual({ topic: 'n.b', brewer: { uuid: 'b' } });
    await second.registerBrewer('n.a', { uuid: 'a' }); // a reconnecting client re-registers: a no-op
    await watcher.sync();
    expect(frames).toEqual([[Packet.BREWER_REMOVED, { topic: 'n.b', brewer: { uuid: 'b' } }]]);
    expect(t.server.hub.subscriptions.size).toBe(1); // only the watcher's
    const gone = nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    second.socket.terminate();
    expect((await gone)[1]).toEqual({ topic: 'n.a', brewer: { uuid: 'a' } });
  });

  it('PCP-CONN-4 connecting needs no right beyond a valid token', async () => {
    const t = await startTestServer();
    const c = await t.pcp('nobody', []);
    expect(await c.associate()).toBe(true);
  });
});
