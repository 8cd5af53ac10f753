import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeV1, encodeV1 } from '../../src/protocol/pcp-v1/codec.js';
import { decodeV2, encodeV2, encodeV2WithData } from '../../src/protocol/pcp-v2/codec.js';
import type { OutgoingMessage, PcpMessage } from '../../src/protocol/pcp/message.js';
import { asDecodeVector, type VectorError as PcpDecodeError } from '../helpers/results.js';
import { isMessageUri, isWildcardUri } from '../../src/protocol/pcp/uriSyntax.js';

interface DecodeVector {
  name: string;
  text: string;
  message?: PcpMessage;
  error?: PcpDecodeError;
}
interface EncodeVector {
  name: string;
  message: OutgoingMessage;
  text: string;
}

const vectors = JSON.parse(readFileSync(new URL('../../protocol/vectors/pcp-v2.json', import.meta.url), 'utf8')) as {
  decode: DecodeVector[];
  encode: EncodeVector[];
};

/** What the v2 decoder gives back for a message the server encoded. */
function expectedAfterRoundTrip(msg: OutgoingMessage): PcpMessage {
  const out: PcpMessage = { id: msg.id, message_type: msg.message_type, targets: msg.target ? [msg.target] : [] };
  if (msg.sender !== undefined) out.sender = msg.sender;
  if (msg.in_reply_to !== undefined) out.in_reply_to = msg.in_reply_to;
  if (msg.data !== undefined) out.data = msg.data;
  return out;
}

describe('codec: PCP v2 decode vectors (protocol/vectors/pcp-v2.json)', () => {
  for (const v of vectors.decode) {
    it(v.name, () => {
      const decoded = asDecodeVector(decodeV2(v.text));
      if (v.error) {
        // toEqual on the whole error: an `id` absent from the vector must be absent here too.
        expect(decoded).toStrictEqual({ ok: false, error: v.error });
      } else {
        expect(decoded).toStrictEqual({ ok: true, message: v.message });
      }
    });
  }
});

describe('codec: PCP v2 encode vectors', () => {
  for (const v of vectors.encode) {
    it(`${v.name}: exact text, and decodes back`, () => {
      expect(encodeV2(v.message)).toBe(v.text);
      expect(asDecodeVector(decodeV2(v.text))).toStrictEqual({ ok: true, message: expectedAfterRoundTrip(v.message) });
    });
  }

  it('encodeV2WithData splices pre-serialized data to the same text as encodeV2', () => {
    for (const v of vectors.encode) {
      if (v.message.data === undefined) continue;
      const { data, ...head } = v.message;
      expect(encodeV2WithData(head, JSON.stringify(data))).toBe(v.text);
    }
  });
});

describe('codec: PCP v2 → v1 translation', () => {
  for (const v of vectors.decode) {
    if (!v.message) continue;
    // v1 has no room for several targets here; every valid v2 vector has at most one anyway.
    it(`${v.name}: keeps id, type, target, sender, in_reply_to and data through v1`, () => {
      const msg = toOutgoing(v.message!);
      const back = asDecodeVector(decodeV1(encodeV1({ ...msg, expires: '2030-01-01T00:00:00.000Z' })));
      expect(back.ok).toBe(true);
      if (!back.ok) return;
      expect(back.message.id).toBe(msg.id);
      expect(back.message.message_type).toBe(msg.message_type);
      expect(back.message.targets).toEqual(msg.target === undefined ? [] : [msg.target]);
      // v1 always carries a sender; the encoder fills in the broker when there is none.
      expect(back.message.sender).toBe(msg.sender ?? 'pcp:///server');
      expect(back.message.in_reply_to).toBe(msg.in_reply_to);
      expect(back.message.data).toEqual(msg.data);
    });
  }
});

describe('PCP message URI syntax', () => {
  it.each(['pcp://shoes/test', 'pcp:///server', 'pcp://*/agent', 'pcp://host/*', 'pcp://a.b-c@d/e_f'])(
    'accepts %s',
    (uri) => expect(isMessageUri(uri)).toBe(true),
  );
  it.each(['pcp://server', 'pcp://test/with/too_many_slashes', 'pcp://a/', 'http://a/b', 'pcp://a/b\n', 'pcp://a\tb/c', 'pcp://a/b\u007f', 7, null])(
    'refuses %j',
    (uri) => expect(isMessageUri(uri)).toBe(false),
  );
  it('finds wildcards only as a whole part', () => {
    expect(isWildcardUri('pcp://*/agent')).toBe(true);
    expect(isWildcardUri('pcp://host/*')).toBe(true);
    expect(isWildcardUri('pcp:///*')).toBe(true);
    expect(isWildcardUri('pcp://ho*st/agent')).toBe(false);
    expect(isWildcardUri('pcp://host/agent*')).toBe(false);
    expect(isWildcardUri('pcp:///server')).toBe(false);
  });
});

function toOutgoing(m: PcpMessage): OutgoingMessage {
  const out: OutgoingMessage = { id: m.id, message_type: m.message_type };
  const [target] = m.targets;
  if (target !== undefined) out.target = target;
  if (m.sender !== undefined) out.sender = m.sender;
  if (m.in_reply_to !== undefined) out.in_reply_to = m.in_reply_to;
  if (m.data !== undefined) out.data = m.data;
  return out;
}
