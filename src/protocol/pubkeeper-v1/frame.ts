import { fail, ok, type Result } from '../errors.js';

/** The two versions of the 1.x binary framing (CONTRACT §4b, REFERENCE §1.4). */
export type V1Version = '1.0' | '1.1';

export const HEADER_BYTES = 8;
/** v1.0 carries a 16-bit length only. */
export const V10_MAX_PAYLOAD = 0xffff;
const LENGTH_FLAG = 1;

export interface V1Frame {
  id: number;
  payload: Record<string, unknown>;
}

/**
 * Bytes → packet id and JSON payload. v1.1: u16 id, u16 length low half, u8 flags (bit 0: the
 * high half is used), u16 length high half, one zero byte; v1.0: u16 id, u16 length, 4 ignored
 * bytes. Little-endian. Bytes after the payload are ignored, as the original clients do.
 */
export function decodeV1Frame(version: V1Version, bytes: Uint8Array): Result<V1Frame> {
  if (bytes.length < HEADER_BYTES) return fail('DECODE_FAILED', `frame shorter than the ${HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = view.getUint16(0, true);
  const low = view.getUint16(2, true);
  const high = version === '1.1' && (view.getUint8(4) & LENGTH_FLAG) !== 0 ? view.getUint16(5, true) : 0;
  const length = low + high * 0x10000;
  if (length > bytes.length - HEADER_BYTES) {
    return fail('DECODE_FAILED', `length ${length} goes beyond the frame (${bytes.length - HEADER_BYTES} payload bytes)`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length)));
  } catch {
    return fail('DECODE_FAILED', 'payload is not UTF-8 JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return fail('DECODE_FAILED', 'payload must be a JSON object');
  }
  return ok({ id, payload: payload as Record<string, unknown> });
}

/** Does a payload of this many bytes fit one frame of the version? v1.1 holds 32 bits. */
export function fitsV1Frame(version: V1Version, payloadBytes: number): boolean {
  return version === '1.1' || payloadBytes <= V10_MAX_PAYLOAD;
}

/**
 * Already-serialized JSON → one frame. v1.1 always sets the length flag, as the JS client does.
 * A payload that does not fit the version is a caller's bug (check `fitsV1Frame` first).
 */
export function encodeV1FrameJson(version: V1Version, id: number, json: string): Uint8Array {
  const body = Buffer.from(json, 'utf8');
  if (!fitsV1Frame(version, body.length)) {
    throw new RangeError(`A payload of ${body.length} bytes does not fit a v1.0 frame.`);
  }
  const frame = Buffer.alloc(HEADER_BYTES + body.length);
  frame.writeUInt16LE(id, 0);
  frame.writeUInt16LE(body.length & 0xffff, 2);
  if (version === '1.1') {
    frame.writeUInt8(LENGTH_FLAG, 4);
    frame.writeUInt16LE(Math.floor(body.length / 0x10000), 5);
  }
  body.copy(frame, HEADER_BYTES);
  return frame;
}

export function encodeV1Frame(version: V1Version, id: number, payload: object): Uint8Array {
  return encodeV1FrameJson(version, id, JSON.stringify(payload));
}
