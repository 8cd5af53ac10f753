import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { nextMessage, recordMessages, uuid } from '../../helpers/pcp.js';
import { startTestServer } from '../../helpers/server.js';

describe('PCP: messages to the broker', () => {
  it('PCP-BROKER-1 associate_request is answered associate_response {id, success: true}, as often as asked', async () => {
    const t = await startTestServer();
    const c = await t.pcp('a', []);
    for (const target of [undefined, 'pcp:///server']) {
      const id = uuid();
      const answer = nextMessage(c, (m) => m.in_reply_to === id);
      c.sendRaw(JSON.stringify({ id, message_type: MessageType.ASSOCIATE_REQUEST, ...(target ? { target } : {}) }));
      const reply = await answer;
      expect(reply.message_type).toBe(MessageType.ASSOCIATE_RESPONSE);
      expect(reply.data).toEqual({ id, success: true });
    }
  });

  it('PCP-BROKER-2 broker replies carry sender pcp:///server, target the client URI, in_reply_to the request, and a fresh UUID id', async () => {
    const t = await startTestServer();
    const c = await t.pcp('a', ['all'], { type: 'ctl' });
    const id = uuid();
    const reply = await c.request(undefined, MessageType.ASSOCIATE_REQUEST);
    expect(Object.keys(reply).sort()).toEqual(['data', 'id', 'in_reply_to', 'message_type', 'sender', 'target']);
    expect(reply).toMatchObject({ sender: 'pcp:///server', target: 'pcp://a/ctl' });
    expect(reply.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.id).not.toBe(id);
  });

  it('PCP-BROKER-4 any other message type to the broker: "Unknown message type."', async () => {
    const t = await startTestServer();
    const c = await t.pcp('a', ['all']);
    for (const type of ['http://puppetlabs.com/frobnicate', 'pubkeeper/nope', '', 'constructor', '__proto__', 'toString', 'pubkeeper/ok']) {
      const reply = await c.request(undefined, type, { x: 1 });
      expect(reply.in_reply_to).toBeDefined();
      expect(reply).toMatchObject({ message_type: MessageType.ERROR, data: 'Unknown message type.' });
    }
    expect(await c.associate()).toBe(true);
  });
});

describe('PCP: inventory', () => {
  it('PCP-INV-1 inventory_response lists connected PCP clients matching the query, sorted, only those the inventory rights show', async () => {
    const t = await startTestServer();
    await t.pcp('zed', []);
    await t.pcp('alpha', [], { type: 'controller' });
    await t.pcp('alpha', []);
    await t.client('json-only'); // a /ws session is not a PCP client
    const all = await t.pcp('admin', ['inventory:pcp://*/*']);
    expect(await all.inventory(['pcp://*/agent'])).toEqual(['pcp://admin/agent', 'pcp://alpha/agent', 'pcp://zed/agent']);
    expect(await all.inventory(['pcp://alpha/*', 'pcp://zed/agent'])).toEqual(['pcp://alpha/agent', 'pcp://alpha/controller', 'pcp://zed/agent']);
    expect(await all.inventory(['pcp://nobody/*'])).toEqual([]);
    expect(await all.inventory([])).toEqual([]);
    const narrow = await t.pcp('ops', ['inventory:pcp://*/controller']);
    expect(await narrow.inventory(['pcp://*/*'])).toEqual(['pcp://alpha/controller']);
    const none = await t.pcp('blind', ['send:pcp://*/*']);
    await expect(none.inventory(['pcp://*/*'])).rejects.toMatchObject({ kind: MessageType.UNAUTHORIZED });
  });

  it('PCP-INV-2 with subscribe: true, changes come in batches, in order, never before the response', async () => {
    const t = await startTestServer({ config: { inventoryBatchMs: 50 } });
    const watcher = await t.pcp('watcher', ['inventory:pcp://*/agent']);
    const seen = recordMessages(watcher);
    const batch = new Promise<unknown>((resolve) => watcher.once('inventoryUpdate', resolve));
    expect(await watcher.inventory(['pcp://*/agent'], { subscribe: true })).toEqual(['pcp://watcher/agent']);
    const n3 = await t.pcp('n3', []);
    const n4 = await t.pcp('n4', []);
    await t.pcp('ctl', [], { type: 'controller' }); // not matching: never reported
    await n4.close();
    await n3.close();
    expect(await batch).toEqual([
      { client: 'pcp://n3/agent', change: 1 },
      { client: 'pcp://n4/agent', change: 1 },
      { client: 'pcp://n4/agent', change: -1 },
      { client: 'pcp://n3/agent', change: -1 },
    ]);
    const types = seen.map((m) => m.message_type);
    expect(types.indexOf(MessageType.INVENTORY_RESPONSE)).toBeLessThan(types.indexOf(MessageType.INVENTORY_UPDATE));
  });

  it('PCP-INV-3 a request with subscribe false or absent ends the subscription; so does disconnecting', async () => {
    const t = await startTestServer({ config: { inventoryBatchMs: 20 } });
    const watcher = await t.pcp('watcher', ['all']);
    const control = await t.pcp('control', ['all']);
    await watcher.inventory(['pcp://*/*'], { subscribe: true });
    await control.inventory(['pcp://*/*'], { subscribe: true });
    const updates: unknown[] = [];
    watcher.on('inventoryUpdate', (u) => updates.push(u));
    await watcher.inventory(['pcp://*/*']); // ends it
    // The control subscriber's batch is the barrier: once it has seen the change, so would have the watcher.
    const controlSaw = new Promise((resolve) => control.once('inventoryUpdate', resolve));
    await t.pcp('late', []);
    expect(await controlSaw).toEqual([{ client: 'pcp://late/agent', change: 1 }]);
    const next = new Promise((resolve) => control.once('inventoryUpdate', resolve));
    await t.pcp('later', []);
    await next;
    expect(updates).toEqual([]);
    expect(t.server.hub.inventory.subscriberCount).toBe(1);
    const gone = new Promise((resolve) => watcher.once('inventoryUpdate', resolve));
    await watcher.inventory(['pcp://*/*'], { subscribe: true });
    await control.close();
    expect(await gone).toEqual([{ client: 'pcp://control/agent', change: -1 }]);
    expect(t.server.hub.inventory.subscriberCount).toBe(1);
  });

  it('PCP-INV-4 a query of more than maxInventoryPatterns patterns is an error_message and changes nothing; repeats count once', async () => {
    const t = await startTestServer({ config: { maxInventoryPatterns: 3, inventoryBatchMs: 20 } });
    const watcher = await t.pcp('watcher', ['all']);
    expect(await watcher.inventory(['pcp://*/agent'], { subscribe: true })).toEqual(['pcp://watcher/agent']);
    const tooMany = ['pcp://a/*', 'pcp://b/*', 'pcp://c/*', 'pcp://d/*'];
    await expect(watcher.inventory(tooMany)).rejects.toMatchObject({
      kind: MessageType.ERROR,
      message: 'Limit exceeded: a query may hold at most 3 patterns',
    });
    // The subscription the refused request would have ended is still there.
    const update = new Promise((resolve) => watcher.once('inventoryUpdate', resolve));
    await t.pcp('late', []);
    expect(await update).toEqual([{ client: 'pcp://late/agent', change: 1 }]);
    // Three patterns, one of them twice: within the limit, and each URI listed once.
    expect(await watcher.inventory(['pcp://*/agent', 'pcp://*/agent', 'pcp://late/*'], { subscribe: true })).toEqual(['pcp://late/agent', 'pcp://watcher/agent']);
  });
});
