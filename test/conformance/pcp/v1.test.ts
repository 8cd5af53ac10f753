import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { nextMessage, uuid, V1Client } from '../../helpers/pcp.js';
import { startTestServer } from '../../helpers/server.js';

const future = (): string => new Date(Date.now() + 60_000).toISOString();

describe('PCP v1 (binary chunked envelopes)', () => {
  it('PCP-V1-3 v1 and v2 clients talk to each other; v1 replies carry in-reply-to', async () => {
    const t = await startTestServer();
    const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['send:pcp://*/*']), 'old');
    const v2 = await t.pcp('new', ['send:pcp://*/*']);
    // v1 → v2
    const got = nextMessage(v2, (m) => m.message_type === 'rpc/hello');
    const id = v1.send({ id: uuid(), message_type: 'rpc/hello', target: 'pcp://new/agent', data: { from: 'v1' }, expires: future() });
    expect(await got).toEqual({ id, message_type: 'rpc/hello', target: 'pcp://new/agent', sender: 'pcp://old/agent', data: { from: 'v1' } });
    // v2 → v1, as a reply
    v2.send('pcp://old/agent', 'rpc/answer', { from: 'v2' }, id);
    const answer = await v1.next((m) => m.message_type === 'rpc/answer');
    expect(answer).toMatchObject({ targets: ['pcp://old/agent'], sender: 'pcp://new/agent', in_reply_to: id, data: { from: 'v2' } });
    // v1 → v1
    const other = await V1Client.connect(t.base, t.keys.mint('old2', []), 'old2');
    v1.send({ id: uuid(), message_type: 'rpc/x', target: 'pcp://old2/agent', data: [1, 2, 3], expires: future() });
    expect(await other.next()).toMatchObject({ message_type: 'rpc/x', sender: 'pcp://old/agent', data: [1, 2, 3] });
    // broker replies to v1 carry in-reply-to
    const assoc = v1.send({ id: uuid(), message_type: MessageType.ASSOCIATE_REQUEST, target: 'pcp:///server', expires: future() });
    expect(await v1.next((m) => m.message_type === MessageType.ASSOCIATE_RESPONSE)).toMatchObject({
      in_reply_to: assoc,
      sender: 'pcp:///server',
      targets: ['pcp://old/agent'],
      data: { id: assoc, success: true },
    });
  });

  it('PCP-V1-1 a message whose expires has passed gets ttl_expired {id} and is not delivered', async () => {
    const t = await startTestServer();
    const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['all']), 'old');
    const v2 = await t.pcp('new', []);
    const seen: string[] = [];
    v2.on('message', (m) => seen.push(m.message_type));
    const id = v1.send({ id: uuid(), message_type: 'rpc/late', target: 'pcp://new/agent', expires: new Date(Date.now() - 1000).toISOString() });
    expect(await v1.next((m) => m.message_type === MessageType.TTL_EXPIRED)).toMatchObject({ in_reply_to: id, data: { id } });
    await v2.associate();
    expect(seen).toEqual([MessageType.ASSOCIATE_RESPONSE]);
  });

  it('PCP-V1-2 destination_report {id, targets} is sent when asked for, and the message is delivered', async () => {
    const t = await startTestServer();
    const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['all']), 'old');
    const v2 = await t.pcp('new', []);
    const delivered = nextMessage(v2, (m) => m.message_type === 'rpc/tracked');
    const id = uuid();
    v1.sendRaw(v1Frame({ id, message_type: 'rpc/tracked', expires: future(), targets: ['pcp://new/agent'], sender: 'pcp://old/agent', destination_report: true }));
    const report = await v1.next((m) => m.message_type === MessageType.DESTINATION_REPORT);
    expect(report).toMatchObject({ in_reply_to: id, sender: 'pcp:///server', data: { id, targets: ['pcp://new/agent'] } });
    expect((await delivered).id).toBe(id);
    // Not asked: no report.
    v1.sendRaw(v1Frame({ id: uuid(), message_type: 'rpc/untracked', expires: future(), targets: ['pcp://new/agent'], sender: 'pcp://old/agent' }));
    await nextMessage(v2, (m) => m.message_type === 'rpc/untracked');
    const assoc = v1.send({ id: uuid(), message_type: MessageType.ASSOCIATE_REQUEST, target: 'pcp:///server', expires: future() });
    await v1.next((m) => m.in_reply_to === assoc);
    expect(v1.received.filter((m) => m.message_type === MessageType.DESTINATION_REPORT)).toEqual([]);
  });

  it('PCP-ROUTE-3 a v1 message with several targets gets "Multiple recipients no longer supported."', async () => {
    const t = await startTestServer();
    const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['send:pcp://*/*']), 'old');
    await t.pcp('x', []);
    await t.pcp('y', []);
    const id = uuid();
    v1.sendRaw(v1Frame({ id, message_type: 'rpc/multi', expires: future(), targets: ['pcp://x/agent', 'pcp://y/agent'], sender: 'pcp://old/agent' }));
    expect(await v1.next((m) => m.message_type === MessageType.ERROR)).toMatchObject({ data: 'Multiple recipients no longer supported.', in_reply_to: id });
  });

  it('PCP-V1-4 error_message to v1 carries data {description, id}', async () => {
    const t = await startTestServer();
    const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['all']), 'old');
    const id = v1.send({ id: uuid(), message_type: 'rpc/x', target: 'pcp://ghost/agent', expires: future() });
    const raw = new Promise<Buffer>((resolve) => v1.socket.once('message', (d: Buffer) => resolve(d)));
    const frame = await raw;
    const envelopeSize = frame.readInt32BE(2);
    const envelope = JSON.parse(frame.subarray(6, 6 + envelopeSize).toString()) as Record<string, unknown>;
    const data = JSON.parse(frame.subarray(6 + envelopeSize + 5).toString()) as unknown;
    expect(envelope).toMatchObject({ message_type: MessageType.ERROR, sender: 'pcp:///server', targets: ['pcp://old/agent'], 'in-reply-to': id });
    expect(data).toEqual({ description: 'Not connected.', id });
  });
});

/** A v1 frame from a raw envelope object (for fields the codec's OutgoingMessage does not carry). */
function v1Frame(envelopeObject: Record<string, unknown>, data = ''): Uint8Array {
  const envelope = Buffer.from(JSON.stringify(envelopeObject));
  const body = Buffer.from(data);
  const frame = Buffer.alloc(1 + 5 + envelope.length + 5 + body.length);
  frame[0] = 1;
  frame[1] = 1;
  frame.writeInt32BE(envelope.length, 2);
  envelope.copy(frame, 6);
  frame[6 + envelope.length] = 2;
  frame.writeInt32BE(body.length, 7 + envelope.length);
  body.copy(frame, 11 + envelope.length);
  return frame;
}
