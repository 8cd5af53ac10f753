/**
 * The PCP 1.0 binary framing (REFERENCE 2.1): `version (1) | envelope chunk | [data chunk] |
 * [debug chunk]…`, a chunk being `descriptor (1 byte) | size (int32 BE) | content`. Only the
 * layout lives here; the envelope's JSON is the codec's business.
 */

import { fail, ok, type Result } from '../errors.js';

export const PCP_V1_VERSION = 1;

/** Descriptor types (low 4 bits; the high 4 are flags nobody uses). */
export const ChunkType = { ENVELOPE: 1, DATA: 2, DEBUG: 3 } as const;

export interface PcpChunks {
  envelope: Uint8Array;
  /** Absent when the frame stops after the envelope; present (maybe empty) otherwise. */
  data?: Uint8Array;
  debug: Uint8Array[];
}

const HEADER_BYTES = 5;

/**
 * Splits a frame into its chunks. Chunks are views into `bytes`, not copies. As in clj-pcp-common,
 * only the first chunk's descriptor is checked: the second is the data and any later ones debug,
 * whatever they claim to be.
 */
export function parseChunks(bytes: Uint8Array): Result<PcpChunks> {
  const total = bytes.length;
  if (total === 0) return fail('DECODE_FAILED', 'empty frame');
  if (bytes[0] !== PCP_V1_VERSION) return fail('DECODE_FAILED', `Unsupported version: ${bytes[0]}`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: number; content: Uint8Array }[] = [];
  let offset = 1;
  while (offset < total) {
    if (total - offset < HEADER_BYTES) return fail('DECODE_FAILED', `Truncated chunk header at byte ${offset}`);
    const descriptor = view.getUint8(offset);
    const size = view.getInt32(offset + 1);
    // PCP-620: a size is refused against the whole frame first, with clj-pcp-common's wording…
    if (size < 0 || size >= total) {
      return fail('DECODE_FAILED', `Invalid chunk length: ${size} (should be between 0 and ${total})`);
    }
    // …and then must also fit in what is left, which the bound above does not ensure.
    const start = offset + HEADER_BYTES;
    if (size > total - start) {
      return fail('DECODE_FAILED', `Chunk length ${size} exceeds the ${total - start} remaining bytes`);
    }
    chunks.push({ type: descriptor & 0x0f, content: bytes.subarray(start, start + size) });
    offset = start + size;
  }

  const [first, second, ...rest] = chunks;
  if (first === undefined) return fail('DECODE_FAILED', 'missing envelope chunk');
  if (first.type !== ChunkType.ENVELOPE) return fail('DECODE_FAILED', 'first chunk must be the envelope (type 1)');
  const result: PcpChunks = { envelope: first.content, debug: rest.map((c) => c.content) };
  if (second !== undefined) result.data = second.content;
  return ok(result);
}

/** Version, envelope, then a data chunk that is always written, size 0 included (REFERENCE 2.1). */
export function writeChunks(envelope: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + HEADER_BYTES + envelope.length + HEADER_BYTES + data.length);
  const view = new DataView(out.buffer);
  out[0] = PCP_V1_VERSION;
  const afterEnvelope = writeChunk(out, view, 1, ChunkType.ENVELOPE, envelope);
  writeChunk(out, view, afterEnvelope, ChunkType.DATA, data);
  return out;
}

function writeChunk(out: Uint8Array, view: DataView, offset: number, type: number, content: Uint8Array): number {
  view.setUint8(offset, type);
  view.setInt32(offset + 1, content.length);
  out.set(content, offset + HEADER_BYTES);
  return offset + HEADER_BYTES + content.length;
}
