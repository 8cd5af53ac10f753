import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { nextFrame, recordFrames } from '../../helpers/frames.js';
import { nextMessage, recordMessages } from '../../helpers/pcp.js';
import { startTestServer } from '../../helpers/server.js';

const brewer = { uuid: 'pcp-b1', hostname: 'h', port: 1 };

describe('PCP: discovery over the PCP envelope', () => {
  it('PCP-PK-1 pubkeeper/* messages use the §4 payloads and the same registry: a /ws brewer reaches a PCP subscriber and back', async () => {
    const t = await startTestServer();
    const wsBrewer = await t.client('ws-brewer');
    await wsBrewer.registerBrewer('cross.ws', { uuid: 'ws-1' });
    const pcpSub = await t.pcp('pcp-sub', ['subscribe:cross.*']);
    const notifications: unknown[] = [];
    pcpSub.on('notify', (n) => notifications.push(n));
    await pcpSub.subscribe('cross.*');
    expect(notifications).toEqual([{ topic: 'cross.ws', brewer: { uuid: 'ws-1' } }]);

    const wsSub = await t.client('ws-sub');
    await wsSub.subscribe('cross.*');
    const pcpBrewer = await t.pcp('pcp-brewer', ['brew:cross.*']);
    const wsSaw = nextFrame(wsSub, (f) => f[0] === Packet.BREWER_NOTIFY);
    const pcpSaw = new Promise((resolve) => pcpSub.once('notify', resolve));
    await pcpBrewer.registerBrewer('cross.pcp', brewer);
    expect((await wsSaw)[1]).toEqual({ topic: 'cross.pcp', brewer });
    expect(await pcpSaw).toEqual({ topic: 'cross.pcp', brewer });

    const removed = new Promise((resolve) => pcpSub.once('removed', resolve));
    await wsBrewer.unregisterBrewer('cross.ws', 'ws-1');
    expect(await removed).toEqual({ topic: 'cross.ws', brewer: { uuid: 'ws-1' } });
    // A PCP session's end removes its brewers too.
    const wsRemoved = nextFrame(wsSub, (f) => f[0] === Packet.BREWER_REMOVED);
    pcpBrewer.socket.terminate();
    expect((await wsRemoved)[1]).toEqual({ topic: 'cross.pcp', brewer });
  });

  it('PCP-PK-2 pubkeeper/ok answers success, after the snapshot for a subscribe; notifications come as broker messages', async () => {
    const t = await startTestServer();
    const b = await t.client('b');
    await b.registerBrewer('s.1', { uuid: 'u1' });
    await b.registerBrewer('s.2', { uuid: 'u2' });
    const c = await t.pcp('c', ['all']);
    const seen = recordMessages(c);
    const ok = await c.request(undefined, MessageType.PK_SUBSCRIBE, { topic: 's.*' });
    expect(ok).toMatchObject({ message_type: MessageType.PK_OK, data: {}, sender: 'pcp:///server', target: 'pcp://c/agent' });
    const types = seen.map((m) => m.message_type);
    expect(types).toEqual([MessageType.PK_BREWER_NOTIFY, MessageType.PK_BREWER_NOTIFY, MessageType.PK_OK]);
    expect(seen[0]).toMatchObject({ sender: 'pcp:///server', target: 'pcp://c/agent', data: { topic: 's.1', brewer: { uuid: 'u1' } } });
    expect(seen[0]?.id).not.toBe(seen[1]?.id);
    for (const type of [MessageType.PK_BREWER_REGISTER, MessageType.PK_BREWER_UNREGISTER]) {
      const reply = await c.request(undefined, type, { topic: 'p.q', brewer: { uuid: 'mine' } });
      expect(reply.message_type).toBe(MessageType.PK_OK);
    }
    expect((await c.request(undefined, MessageType.PK_UNSUBSCRIBE, { topic: 's.*' })).message_type).toBe(MessageType.PK_OK);
  });

  it('PCP-PK-3 a missing right or another client\'s brewer is `unauthorized`; other failures are error_message with the §4 prefix', async () => {
    const t = await startTestServer();
    const owner = await t.pcp('owner', ['all']);
    await owner.registerBrewer('x.y', brewer);
    const c = await t.pcp('c', ['subscribe:a.*']);
    await expect(c.registerBrewer('a.b', { uuid: 'u' })).rejects.toMatchObject({ kind: MessageType.UNAUTHORIZED });
    await expect(c.subscribe('b.*')).rejects.toMatchObject({ kind: MessageType.UNAUTHORIZED });
    await expect(c.unregisterBrewer('x.y', brewer.uuid)).rejects.toMatchObject({ kind: MessageType.UNAUTHORIZED });
    const cases: [string, unknown, RegExp][] = [
      [MessageType.PK_SUBSCRIBE, { topic: 'a..b' }, /^Invalid payload: topic/],
      [MessageType.PK_SUBSCRIBE, {}, /^Invalid payload: topic/],
      [MessageType.PK_SUBSCRIBE, 'a.b', /^Invalid payload: data/],
      [MessageType.PK_SUBSCRIBE, undefined, /^Invalid payload: data/],
      [MessageType.PK_UNSUBSCRIBE, { topic: 'a.zz' }, /^Invalid payload: topic/],
      [MessageType.PK_BREWER_REGISTER, { topic: 'a.b', brewer: {} }, /^Invalid payload: brewer.uuid/],
      [MessageType.PK_BREWER_UNREGISTER, { topic: 'a.b', brewer: 'nope' }, /^Invalid payload: brewer/],
      [MessageType.PK_AUTHENTICATE, { token: 'bad' }, /^Unauthenticated Request: malformed token/],
    ];
    for (const [type, data, message] of cases) {
      const reply = await c.request(undefined, type, data);
      expect(reply.message_type, type).toBe(MessageType.ERROR);
      expect(String(reply.data)).toMatch(message);
    }
    const limited = await startTestServer({ config: { maxSubscriptionsPerSession: 1 } });
    const l = await limited.pcp('l', ['all']);
    await l.subscribe('a');
    await expect(l.subscribe('b')).rejects.toThrow(/^Limit exceeded/);
  });

  it('PCP-PK-4 pubkeeper/authenticate refreshes rights with a fresh token of the same sub; another sub is unauthorized', async () => {
    const t = await startTestServer();
    const c = await t.pcp('c', ['brew:a.*']);
    await c.registerBrewer('a.b', { uuid: 'u' });
    const watcher = await t.client('w');
    await watcher.subscribe('a.*');
    const removed = nextFrame(watcher, (f) => f[0] === Packet.BREWER_REMOVED);
    await c.authenticate(t.keys.mint('c', ['subscribe:a.*']));
    expect((await removed)[1]).toEqual({ topic: 'a.b', brewer: { uuid: 'u' } });
    await c.subscribe('a.*');
    await expect(c.authenticate(t.keys.mint('other', ['all']))).rejects.toMatchObject({ kind: MessageType.UNAUTHORIZED });
    await expect(c.registerBrewer('a.c', { uuid: 'v' })).rejects.toMatchObject({ kind: MessageType.UNAUTHORIZED });
    const frames = recordFrames(watcher);
    await watcher.sync();
    expect(frames).toEqual([]);
  });

  it('PCP-PK-5 a PCP session whose token expires is closed 4003 and its brewers are removed', async () => {
    const t = await startTestServer();
    const watcher = await t.pcp('w', ['all']);
    await watcher.subscribe('**');
    const token = t.keys.mint('short', ['all'], { ttlSeconds: 1 });
    const { PcpClient } = await import('../../../src/client/pcpClient.js');
    const c = await PcpClient.connect(t.base, { token });
    await c.registerBrewer('t.x', { uuid: 'exp' });
    const closedWith = new Promise((resolve) => c.once('close', (code, reason) => resolve([code, reason])));
    const removed = nextMessage(watcher, (m) => m.message_type === MessageType.PK_BREWER_REMOVED);
    expect(await closedWith).toEqual([4003, 'Token expired.']);
    expect((await removed).data).toEqual({ topic: 't.x', brewer: { uuid: 'exp' } });
  });
});
