import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/protocol/pcp/message.js';
import { nextMessage, uuid, v2ErrorFor, V1Client } from '../../helpers/pcp.js';
import { startTestServer } from '../../helpers/server.js';

describe('PCP: malformed frames get "Could not decode message" and the session still works', () => {
  const goodId = '4ddc3f6e-5a4b-4c8e-9d2f-1b2c3d4e5f60';
  const v2Cases: [string, string | Buffer, string | undefined][] = [
    ['not JSON', '{nope', undefined],
    ['a JSON array', '[1,2]', undefined],
    ['an extra key', JSON.stringify({ id: goodId, message_type: 't', extra: 1 }), goodId],
    ['a v1 key on v2', JSON.stringify({ id: goodId, message_type: 't', targets: ['pcp://a/agent'] }), goodId],
    ['an id that is not a UUID', JSON.stringify({ id: 'not-a-uuid', message_type: 't' }), undefined],
    ['a bad in_reply_to', JSON.stringify({ id: goodId, message_type: 't', in_reply_to: '123' }), goodId],
    ['a target with too many slashes', JSON.stringify({ id: goodId, message_type: 't', target: 'pcp://test/with/too_many_slashes' }), goodId],
    ['a target without type', JSON.stringify({ id: goodId, message_type: 't', target: 'pcp://server' }), goodId],
    ['a NUL in the target', JSON.stringify({ id: goodId, message_type: 't', target: 'pcp://a\u0000/agent' }), goodId],
    ['a numeric message_type', JSON.stringify({ id: goodId, message_type: 5 }), goodId],
    ['no message_type', JSON.stringify({ id: goodId }), goodId],
    ['a binary frame on v2', Buffer.from(JSON.stringify({ id: goodId, message_type: 't' })), undefined],
  ];
  for (const [what, frame, inReplyTo] of v2Cases) {
    it(`PCP-WIRE-1 v2, ${what}`, async () => {
      const t = await startTestServer();
      const c = await t.pcp('a', ['all']);
      const error = await v2ErrorFor(c, frame);
      expect(error.data).toBe('Could not decode message');
      expect(error.in_reply_to).toBe(inReplyTo);
      expect(await c.associate()).toBe(true);
    });
  }

  const v1Cases: [string, () => Uint8Array | string][] = [
    ['250 zero bytes', () => new Uint8Array(250)],
    ['version byte 2', () => Uint8Array.from([2, 1, 0, 0, 0, 2, 123, 125, 2, 0, 0, 0, 0])],
    ['a chunk length of -1', () => Uint8Array.from([1, 1, 255, 255, 255, 255, 123, 125])],
    ['a chunk length of 5000', () => Uint8Array.from([1, 1, 0, 0, 19, 136, 123, 125])],
    ['an envelope that is not the closed schema', () => Uint8Array.from([1, 1, 0, 0, 0, 2, 123, 125, 2, 0, 0, 0, 0])],
    ['a text frame on v1', () => 'hello'],
  ];
  for (const [what, frame] of v1Cases) {
    it(`PCP-WIRE-2 v1, ${what}`, async () => {
      const t = await startTestServer();
      const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['all']), 'old');
      v1.sendRaw(frame());
      const error = await v1.next((m) => m.message_type === MessageType.ERROR);
      expect(error.data).toBe('Could not decode message');
      expect(error.in_reply_to).toBeUndefined();
      const assoc = v1.send({ id: uuid(), message_type: MessageType.ASSOCIATE_REQUEST, target: 'pcp:///server', expires: new Date(Date.now() + 60_000).toISOString() });
      expect(await v1.next((m) => m.in_reply_to === assoc)).toMatchObject({ message_type: MessageType.ASSOCIATE_RESPONSE });
    });
  }

  it('PCP-WIRE-1 v2, a text frame that is not UTF-8 (not a close 1007)', async () => {
    const t = await startTestServer();
    const c = await t.pcp('a', ['all']);
    const error = nextMessage(c, (m) => m.message_type === MessageType.ERROR);
    c.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await error).data).toBe('Could not decode message');
    expect(await c.associate()).toBe(true);
  });

  it('PCP-WIRE-3 a v1 envelope with a readable UUID id but bad data gets the error with that id', async () => {
    const t = await startTestServer();
    const v1 = await V1Client.connect(t.base, t.keys.mint('old', ['all']), 'old');
    const id = uuid();
    const envelope = Buffer.from(JSON.stringify({ id, message_type: 't', expires: new Date().toISOString(), targets: ['pcp://x/agent'], sender: 'pcp://old/agent' }));
    const frame = Buffer.concat([Buffer.from([1, 1]), int32(envelope.length), envelope, Buffer.from([2]), int32(3), Buffer.from('{no')]);
    v1.sendRaw(frame);
    const error = await v1.next((m) => m.message_type === MessageType.ERROR);
    expect(error).toMatchObject({ data: 'Could not decode message', in_reply_to: id });
  });

  it('PCP-WIRE-4 bad frames from one client never touch another session', async () => {
    const t = await startTestServer();
    const bad = await t.pcp('bad', ['all']);
    const good = await t.pcp('good', ['all']);
    for (let i = 0; i < 20; i++) bad.sendRaw(i % 2 ? '{' : Buffer.from([0, 1, 2]));
    const got = nextMessage(good, (m) => m.message_type === 'x/y');
    bad.send('pcp://good/agent', 'x/y', { ok: true });
    expect((await got).data).toEqual({ ok: true });
    expect(await good.inventory(['pcp://*/*'])).toEqual(['pcp://bad/agent', 'pcp://good/agent']);
  });
});

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
