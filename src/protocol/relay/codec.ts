import { createHash } from 'node:crypto';
import { fail, ok, type Result } from '../errors.js';

/**
 * The websocket-brew relay wire (protocol/relay.md; notes/pubkeeper-js-client.md §4). Pure: bytes
 * in, a typed frame or DECODE_FAILED out. node:crypto is the one import beside the error list, for
 * SHA-256.
 */

/** The only subprotocol the JS brew offers, and the one the relay prefers. */
export const RELAY_SUBPROTOCOL = 'pubkeeper-1.0.0';
/** u16 type, 2 pad bytes, 32-byte topic hash, u32 payload length (Python `'<h2x32sI'`). */
export const RELAY_HEADER_BYTES = 40;
export const TOPIC_HASH_BYTES = 32;

export const RelayFrameType = { JOIN: 0, LEAVE: 1, PUBLISH: 2 } as const;
export type RelayFrameType = (typeof RelayFrameType)[keyof typeof RelayFrameType];

const TYPE_NAMES: Record<number, string> = { 0: 'JOIN', 1: 'LEAVE', 2: 'PUBLISH' };
const HASH_OFFSET = 4;
const LENGTH_OFFSET = 36;

export interface RelayFrame {
  type: RelayFrameType;
  /** A view into the frame, not a copy. */
  topicHash: Uint8Array;
  /** Lowercase hex of topicHash: the key of the relay's pools and last values. */
  topicKey: string;
  /** A view into the frame; empty for JOIN and LEAVE. */
  payload: Uint8Array;
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * [RELAY-2] One client → relay frame. The length must match the frame exactly: the Python relay's
 * `struct.unpack` requires it, and the JS patron decrypts up to the end of what it receives, so
 * trailing bytes would corrupt the plaintext. The two pad bytes are not checked (Python skips them).
 */
export function decodeRelayFrame(bytes: Uint8Array): Result<RelayFrame> {
  if (bytes.length < RELAY_HEADER_BYTES) {
    return fail('DECODE_FAILED', `frame of ${bytes.length} bytes is shorter than the ${RELAY_HEADER_BYTES}-byte header`);
  }
  const header = view(bytes);
  const type = header.getUint16(0, true);
  const name = TYPE_NAMES[type];
  if (name === undefined) return fail('DECODE_FAILED', `unknown frame type ${type}`);
  const length = header.getUint32(LENGTH_OFFSET, true);
  const actual = bytes.length - RELAY_HEADER_BYTES;
  if (length !== actual) return fail('DECODE_FAILED', `length field ${length} does not match the ${actual} bytes after the header`);
  if (type !== RelayFrameType.PUBLISH && length !== 0) return fail('DECODE_FAILED', `${name} must carry no payload`);
  const topicHash = bytes.subarray(HASH_OFFSET, HASH_OFFSET + TOPIC_HASH_BYTES);
  return ok({
    type: type as RelayFrameType,
    topicHash,
    topicKey: hex(topicHash),
    payload: bytes.subarray(RELAY_HEADER_BYTES),
  });
}

/** A client → relay frame, as the JS brew builds it (for tests and tools). */
export function encodeRelayFrame(type: RelayFrameType, hash: Uint8Array, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (hash.length !== TOPIC_HASH_BYTES) throw new RangeError('topic hash must be 32 bytes');
  const frame = new Uint8Array(RELAY_HEADER_BYTES + payload.length);
  const header = view(frame);
  header.setUint16(0, type, true);
  frame.set(hash, HASH_OFFSET);
  header.setUint32(LENGTH_OFFSET, payload.length, true);
  frame.set(payload, RELAY_HEADER_BYTES);
  return frame;
}

/** SHA-256 of the topic's UTF-8 bytes, as `hash.js` and Python's `sha256(topic.encode())` compute it. */
export function topicHash(topic: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(topic, 'utf8').digest());
}

/**
 * [RELAY-1] The subprotocol to echo: `pubkeeper-1.0.0` when offered, else the first offered value
 * containing "1.0" (the Python relay's `select_subprotocol`), else none (the upgrade is refused).
 */
export function selectRelaySubprotocol(offered: Iterable<string>): string | undefined {
  const list = [...offered];
  if (list.includes(RELAY_SUBPROTOCOL)) return RELAY_SUBPROTOCOL;
  return list.find((value) => value.includes('1.0'));
}

// Brew frame (notes §4.3): u8 major 1, u8 minor 0, sha256(topic), 16-byte brewer id, 34 zero
// bytes, u32 LE payload length, payload. The relay never reads it; tests and tools do.
export const BREW_FRAME_HEADER_BYTES = 88;
const BREW_HASH_OFFSET = 2;
const BREW_ID_OFFSET = 34;
const BREW_ID_BYTES = 16;
const BREW_LENGTH_OFFSET = 84;
const BREWER_ID = /^[0-9a-f]{32}$/i;

export interface BrewFrame {
  major: number;
  minor: number;
  topicHash: Uint8Array;
  /** 32 lowercase hex, the form JS patrons compare with the notify's `brewer_id`. */
  brewerId: string;
  payload: Uint8Array;
}

/** `brewerIdHex`: 32 hex digits, dashes allowed (as the JS `uuidToBytes` accepts). */
export function encodeBrewFrame(topic: string, brewerIdHex: string, payload: Uint8Array): Uint8Array {
  const id = brewerIdHex.replace(/-/g, '');
  if (!BREWER_ID.test(id)) throw new RangeError('brewer id must be 32 hex digits');
  const frame = new Uint8Array(BREW_FRAME_HEADER_BYTES + payload.length);
  frame[0] = 1;
  frame[1] = 0;
  frame.set(topicHash(topic), BREW_HASH_OFFSET);
  frame.set(Buffer.from(id, 'hex'), BREW_ID_OFFSET);
  view(frame).setUint32(BREW_LENGTH_OFFSET, payload.length, true);
  frame.set(payload, BREW_FRAME_HEADER_BYTES);
  return frame;
}

export function decodeBrewFrame(bytes: Uint8Array): Result<BrewFrame> {
  if (bytes.length < BREW_FRAME_HEADER_BYTES) {
    return fail('DECODE_FAILED', `brew frame of ${bytes.length} bytes is shorter than the ${BREW_FRAME_HEADER_BYTES}-byte header`);
  }
  const length = view(bytes).getUint32(BREW_LENGTH_OFFSET, true);
  const actual = bytes.length - BREW_FRAME_HEADER_BYTES;
  if (length !== actual) return fail('DECODE_FAILED', `length field ${length} does not match the ${actual} bytes after the header`);
  return ok({
    major: bytes[0] ?? 0,
    minor: bytes[1] ?? 0,
    topicHash: bytes.subarray(BREW_HASH_OFFSET, BREW_HASH_OFFSET + TOPIC_HASH_BYTES),
    brewerId: hex(bytes.subarray(BREW_ID_OFFSET, BREW_ID_OFFSET + BREW_ID_BYTES)),
    payload: bytes.subarray(BREW_FRAME_HEADER_BYTES),
  });
}
