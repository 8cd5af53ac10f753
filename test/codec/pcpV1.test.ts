import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseChunks, writeChunks } from '../../src/protocol/pcp-v1/chunks.js';
import { decodeV1, encodeV1, encodeV1WithData, V1_DEFAULT_TTL_MS } from '../../src/protocol/pcp-v1/codec.js';
import { decodeV2, encodeV2 } from '../../src/protocol/pcp-v2/codec.js';
import type { OutgoingMessage, PcpMessage } from '../../src/protocol/pcp/message.js';
import { asDecodeVector, asChunkVector, type VectorError as PcpDecodeError } from '../helpers/results.js';

interface ChunkVector {
  name: string;
  hex: string;
  envelope?: string;
  data?: string;
  debug?: string[];
  error?: string;
}
interface DecodeVector {
  name: string;
  hex: string;
  message?: PcpMessage;
  error?: PcpDecodeError;
}
interface EncodeVector {
  name: string;
  message: OutgoingMessage;
  hex: string;
}

const vectors = JSON.parse(readFileSync(new URL('../../protocol/vectors/pcp-v1.json', import.meta.url), 'utf8')) as {
  chunks: ChunkVector[];
  decode: DecodeVector[];
  encode: EncodeVector[];
};

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe('codec: PCP v1 chunk layout (protocol/vectors/pcp-v1.json)', () => {
  for (const v of vectors.chunks) {
    it(v.name, () => {
      const parsed = asChunkVector(parseChunks(bytes(v.hex)));
      if (v.error !== undefined) {
        expect(parsed).toEqual({ error: v.error });
        return;
      }
      if ('error' in parsed) throw new Error(`unexpected error: ${parsed.error}`);
      expect(hexOf(parsed.envelope)).toBe(v.envelope);
      expect(parsed.data === undefined ? undefined : hexOf(parsed.data)).toBe(v.data);
      expect(parsed.debug.map(hexOf)).toEqual(v.debug);
    });
  }

  it('writeChunks reproduces the reference frames', () => {
    const env = new Uint8Array([123, 125]);
    expect(hexOf(writeChunks(env, new Uint8Array(0)))).toBe('0101000000027b7d0200000000');
    expect(hexOf(writeChunks(env, new TextEncoder().encode('haha')))).toBe('0101000000027b7d020000000468616861');
  });

  it('reads a frame that is a view into a larger buffer', () => {
    const padded = bytes('ff' + '0101000000027b7d020000000468616861' + 'ff');
    const parsed = asChunkVector(parseChunks(padded.subarray(1, padded.length - 1)));
    expect('error' in parsed ? parsed.error : hexOf(parsed.data ?? new Uint8Array(0))).toBe('68616861');
  });
});

describe('codec: PCP v1 decode vectors', () => {
  for (const v of vectors.decode) {
    it(v.name, () => {
      const decoded = asDecodeVector(decodeV1(bytes(v.hex)));
      if (v.error) {
        // Strict: an `id` absent from the vector must be absent here too.
        expect(decoded).toStrictEqual({ ok: false, error: v.error });
      } else {
        expect(decoded).toStrictEqual({ ok: true, message: v.message });
      }
    });
  }
});

describe('codec: PCP v1 encode vectors', () => {
  for (const v of vectors.encode) {
    it(`${v.name}: exact bytes, and decodes back`, () => {
      const encoded = encodeV1(v.message);
      expect(hexOf(encoded)).toBe(v.hex);
      const back = asDecodeVector(decodeV1(encoded));
      expect(back.ok).toBe(true);
      if (!back.ok) return;
      const m = v.message;
      expect(back.message).toStrictEqual({
        id: m.id,
        message_type: m.message_type,
        targets: m.target === undefined ? [] : [m.target],
        sender: m.sender ?? 'pcp:///server',
        expires: m.expires,
        ...(m.in_reply_to === undefined ? {} : { in_reply_to: m.in_reply_to }),
        ...(m.data === undefined ? {} : { data: m.data }),
      });
    });
  }

  it('encodeV1WithData writes the given data bytes as encodeV1 would', () => {
    for (const v of vectors.encode) {
      const { data, ...head } = v.message;
      if (data === undefined || v.message.message_type.endsWith('/error_message')) continue;
      const dataBytes = new TextEncoder().encode(JSON.stringify(data));
      expect(hexOf(encodeV1WithData(head, dataBytes))).toBe(v.hex);
    }
  });

  it('fills in expires 60 s after the given clock when the message has none', () => {
    const now = Date.UTC(2030, 0, 1);
    const decoded = asDecodeVector(decodeV1(encodeV1({ id: 'b9835b34-52d0-4f81-b026-a3941333e082', message_type: 'x' }, now)));
    expect(decoded.ok && decoded.message.expires).toBe(new Date(now + V1_DEFAULT_TTL_MS).toISOString());
    expect(V1_DEFAULT_TTL_MS).toBe(60_000);
  });
});

describe('codec: PCP v1 → v2 translation', () => {
  for (const v of vectors.decode) {
    if (!v.message || v.message.targets.length > 1) continue;
    it(`${v.name}: keeps id, type, target, sender, in_reply_to and data through v2`, () => {
      const m = v.message!;
      const out: OutgoingMessage = { id: m.id, message_type: m.message_type };
      if (m.targets[0] !== undefined) out.target = m.targets[0];
      if (m.sender !== undefined) out.sender = m.sender;
      if (m.in_reply_to !== undefined) out.in_reply_to = m.in_reply_to;
      if (m.data !== undefined) out.data = m.data;
      const back = asDecodeVector(decodeV2(encodeV2(out)));
      expect(back.ok).toBe(true);
      if (!back.ok) return;
      expect(back.message.id).toBe(m.id);
      expect(back.message.message_type).toBe(m.message_type);
      expect(back.message.targets).toEqual(m.targets);
      expect(back.message.sender).toBe(m.sender);
      expect(back.message.in_reply_to).toBe(m.in_reply_to);
      expect(back.message.data).toEqual(m.data);
    });
  }
});
