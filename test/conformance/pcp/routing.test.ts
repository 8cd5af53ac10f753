import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { nextMessage, recordMessages, uuid } from '../../helpers/pcp.js';
import { startTestServer } from '../../helpers/server.js';

const ERROR = MessageType.ERROR;

describe('PCP: routing between clients', () => {
  it('PCP-ROUTE-1 a message to a client URI reaches that one session, unchanged but for sender', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['send:pcp://*/agent']);
    const b = await t.pcp('b', []);
    const other = await t.pcp('c', []);
    const seenByOther = recordMessages(other);
    const id = uuid();
    const inReplyTo = uuid();
    const got = nextMessage(b);
    a.sendRaw(JSON.stringify({ id, message_type: 'example/rpc', target: 'pcp://b/agent', in_reply_to: inReplyTo, data: { deep: [1, { x: null }] } }));
    expect(await got).toEqual({
      id,
      message_type: 'example/rpc',
      target: 'pcp://b/agent',
      sender: 'pcp://a/agent',
      in_reply_to: inReplyTo,
      data: { deep: [1, { x: null }] },
    });
    // A sender naming the connection's own URI is fine too.
    const again = nextMessage(b);
    a.sendRaw(JSON.stringify({ id: uuid(), message_type: 't', target: 'pcp://b/agent', sender: 'pcp://a/agent' }));
    expect((await again).sender).toBe('pcp://a/agent');
    await other.associate();
    expect(seenByOther.map((m) => m.message_type)).toEqual([MessageType.ASSOCIATE_RESPONSE]);
  });

  it('PCP-ROUTE-2 a message whose sender is another URI gets "Message not authenticated." and is not delivered', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['all']);
    const b = await t.pcp('b', []);
    const seen = recordMessages(b);
    const id = uuid();
    const error = nextMessage(a, (m) => m.message_type === ERROR);
    a.sendRaw(JSON.stringify({ id, message_type: 't', target: 'pcp://b/agent', sender: 'pcp://b/agent' }));
    expect(await error).toMatchObject({ in_reply_to: id, data: 'Message not authenticated.', sender: 'pcp:///server' });
    await b.associate();
    expect(seen.map((m) => m.message_type)).toEqual([MessageType.ASSOCIATE_RESPONSE]);
  });

  it('PCP-ROUTE-3 a wildcard target gets "Multiple recipients no longer supported.", whatever the send rights', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['send:pcp://*/agent']);
    const b = await t.pcp('b', []);
    const seen = recordMessages(b);
    for (const target of ['pcp://*/agent', 'pcp://b/*']) {
      const id = uuid();
      const error = nextMessage(a, (m) => m.message_type === ERROR);
      a.sendRaw(JSON.stringify({ id, message_type: 't', target }));
      expect(await error).toMatchObject({ in_reply_to: id, data: 'Multiple recipients no longer supported.' });
    }
    await b.associate();
    expect(seen.map((m) => m.message_type)).toEqual([MessageType.ASSOCIATE_RESPONSE]);
  });

  it('PCP-ROUTE-4 without a send right for the target: `unauthorized` with no data, nothing delivered', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['send:pcp://b/controller']);
    const b = await t.pcp('b', []);
    const seen = recordMessages(b);
    const id = uuid();
    const answer = nextMessage(a, (m) => m.in_reply_to === id);
    a.sendRaw(JSON.stringify({ id, message_type: 't', target: 'pcp://b/agent', data: 1 }));
    const reply = await answer;
    expect(reply).toEqual({ id: reply.id, message_type: MessageType.UNAUTHORIZED, target: 'pcp://a/agent', sender: 'pcp:///server', in_reply_to: id });
    await b.associate();
    expect(seen.map((m) => m.message_type)).toEqual([MessageType.ASSOCIATE_RESPONSE]);
  });

  it('PCP-ROUTE-5 a target that is not connected gets "Not connected."; nothing is delivered later', async () => {
    const t = await startTestServer();
    const a = await t.pcp('a', ['all']);
    const id = uuid();
    const error = nextMessage(a, (m) => m.message_type === ERROR);
    a.sendRaw(JSON.stringify({ id, message_type: 't', target: 'pcp://ghost/agent' }));
    expect(await error).toMatchObject({ in_reply_to: id, data: 'Not connected.' });
    const ghost = await t.pcp('ghost', []);
    const seen = recordMessages(ghost);
    await ghost.associate();
    expect(seen.map((m) => m.message_type)).toEqual([MessageType.ASSOCIATE_RESPONSE]);
  });

  it('PCP-ROUTE-6 a request/reply round trip with the SDK', async () => {
    const t = await startTestServer();
    const controller = await t.pcp('ctl', ['send:pcp://*/agent'], { type: 'controller' });
    const agent = await t.pcp('node', ['send:pcp://*/controller']);
    agent.on('message', (m) => {
      if (m.message_type === 'rpc/ping') agent.send(String(m.sender), 'rpc/pong', { echo: m.data }, m.id);
    });
    const reply = await controller.request('pcp://node/agent', 'rpc/ping', { n: 42 });
    expect(reply).toMatchObject({ message_type: 'rpc/pong', sender: 'pcp://node/agent', data: { echo: { n: 42 } } });
  });
});
