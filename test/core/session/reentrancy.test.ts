import { describe, expect, it } from 'vitest';
import { PCP_V2 } from '../../../src/core/dialects/pcp/pcpDialect.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { MemoryConnection } from '../../helpers/memoryConnection.js';
import { memoryHub } from '../hub.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('core: a slow consumer cut in the middle of another operation', () => {
  it('a registering brewer that is itself a slow subscriber: others never see REMOVED before NOTIFY', async () => {
    const { hub, open } = memoryHub({ maxUnsentBytes: 10 });
    const early = open('early');
    early.send(Packet.SUBSCRIBE, { topic: 't.**' });
    const slow = open('slow');
    slow.send(Packet.SUBSCRIBE, { topic: 't.**' });
    const late = open('late');
    late.send(Packet.SUBSCRIBE, { topic: 't.**' });
    slow.conn.bufferedAmount = 1000;
    slow.send(Packet.BREWER_REGISTER, { topic: 't.x', brewer: { uuid: 'u' } });
    await flush();
    expect(slow.conn.closedWith).toEqual({ code: 1008, reason: 'Slow consumer.' });
    for (const s of [early, late]) {
      expect(s.conn.json().map((f) => f[0])).toEqual([Packet.BREWER_NOTIFY, Packet.BREWER_REMOVED]);
    }
    expect(hub.registry.size).toBe(0);
    expect(hub.subscriptions.size).toBe(2);
  });

  it('a subscriber cut by its own snapshot leaves no subscription behind', async () => {
    const { hub, open } = memoryHub({ maxUnsentBytes: 10 });
    const brewer = open('b');
    brewer.send(Packet.BREWER_REGISTER, { topic: 's.1', brewer: { uuid: 'u1' } });
    const slow = open('slow');
    slow.conn.bufferedAmount = 1000;
    slow.send(Packet.SUBSCRIBE, { topic: 's.*' });
    await flush();
    expect(slow.conn.closedWith?.code).toBe(1008);
    expect(hub.subscriptions.size).toBe(0);
    expect(hub.sessions.has(slow.session)).toBe(false);
  });

  it('an inventory subscriber cut during a flush: its departure reaches the others in the next batch', async () => {
    const { hub, keys } = memoryHub({ maxUnsentBytes: 10 });
    const all = hub.verify(keys.mint('y', ['all']), 'ws');
    const allX = hub.verify(keys.mint('x', ['all']), 'ws');
    if (!all.ok || !allX.ok) throw new Error('test tokens refused');
    const yConn = new MemoryConnection();
    const xConn = new MemoryConnection();
    const y = hub.connectPcp(PCP_V2, 'pcp://y/agent', all.value, yConn, hub.log).session;
    const x = hub.connectPcp(PCP_V2, 'pcp://x/agent', allX.value, xConn, hub.log).session;
    hub.inventory.subscribe(y, [{ name: '*', type: '*', source: 'pcp://*/*' }]);
    hub.inventory.subscribe(x, [{ name: '*', type: '*', source: 'pcp://*/*' }]);
    hub.connectPcp(PCP_V2, 'pcp://z/agent', allX.value, new MemoryConnection(), hub.log);
    xConn.bufferedAmount = 1000;
    hub.inventory.flush();
    await flush();
    expect(xConn.closedWith?.code).toBe(1008);
    hub.inventory.flush();
    const updates = yConn.frames.map((f) => JSON.parse(String(f)) as { data: { changes: unknown[] } }).map((m) => m.data.changes);
    expect(updates).toEqual([[{ client: 'pcp://z/agent', change: 1 }], [{ client: 'pcp://x/agent', change: -1 }]]);
    hub.inventory.stop();
  });
});
