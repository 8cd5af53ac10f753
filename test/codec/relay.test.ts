import { describe, expect, it } from 'vitest';
import {
  decodeBrewFrame,
  decodeRelayFrame,
  encodeBrewFrame,
  encodeRelayFrame,
  RELAY_HEADER_BYTES,
  RELAY_SUBPROTOCOL,
  RelayFrameType,
  selectRelaySubprotocol,
  topicHash,
  type RelayFrame,
} from '../../src/protocol/relay/codec.js';
import type { Result } from '../../src/protocol/errors.js';
import { errorDetail } from '../helpers/results.js';

// Captured from the JS brew (@pubkeeper/brew-websocket 5.0.4) by a mock relay:
// protocol/notes/pubkeeper-js-client.md §4.6.
const SMOKE_HASH = '7e9e0c15edffa91623825f3439dc661a0a33bc5f922e6e2e28f2cb0598509894';
const CAPTURED_JOIN = `00000000${SMOKE_HASH}00000000`;
const CAPTURED_PUBLISH_HEADER = `02000000${SMOKE_HASH}98000000`;
const CAPTURED_BREW_HEADER = `0100${SMOKE_HASH}5c2063091f545207b35a57a26294f25a${'00'.repeat(34)}40000000`;
const CAPTURED_BREWER_ID = '5c2063091f545207b35a57a26294f25a';

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function decoded(result: Result<RelayFrame>): RelayFrame {
  if (!result.ok) throw new Error(`unexpected decode error: ${result.error.detail}`);
  return result.value;
}

function errorOf(result: Result<RelayFrame>): string {
  if (result.ok) throw new Error('expected a decode error');
  return result.error.detail ?? '';
}

describe('codec: relay topic hash and frames (notes §4.6 captures)', () => {
  it('RELAY-2 topic hash is SHA-256 of the UTF-8 topic', () => {
    expect(hexOf(topicHash('smoke.test'))).toBe(SMOKE_HASH);
    // UTF-8, not UTF-16 or latin-1: "é" is two bytes.
    expect(hexOf(topicHash('caf\u00e9'))).toBe('850f7dc43910ff890f8879c0ed26fe697c93a067ad93a7d50f466a7028a9bf4e');
  });

  it('RELAY-2 decodes the captured JOIN and encodes it back byte for byte', () => {
    const frame = decoded(decodeRelayFrame(bytes(CAPTURED_JOIN)));
    expect(frame.type).toBe(RelayFrameType.JOIN);
    expect(frame.topicKey).toBe(SMOKE_HASH);
    expect(hexOf(frame.topicHash)).toBe(SMOKE_HASH);
    expect(frame.payload.length).toBe(0);
    expect(hexOf(encodeRelayFrame(RelayFrameType.JOIN, topicHash('smoke.test')))).toBe(CAPTURED_JOIN);
  });

  it('RELAY-2 LEAVE is a JOIN with type 1', () => {
    const leave = encodeRelayFrame(RelayFrameType.LEAVE, topicHash('smoke.test'));
    expect(hexOf(leave)).toBe(`01000000${SMOKE_HASH}00000000`);
    expect(decoded(decodeRelayFrame(leave)).type).toBe(RelayFrameType.LEAVE);
  });

  it('RELAY-2 PUBLISH carries the brew frame after the captured 40-byte header', () => {
    const brew = encodeBrewFrame('smoke.test', CAPTURED_BREWER_ID, new Uint8Array(64).fill(7));
    expect(brew.length).toBe(152);
    const publish = encodeRelayFrame(RelayFrameType.PUBLISH, topicHash('smoke.test'), brew);
    expect(hexOf(publish.subarray(0, RELAY_HEADER_BYTES))).toBe(CAPTURED_PUBLISH_HEADER);
    const frame = decoded(decodeRelayFrame(publish));
    expect(frame.type).toBe(RelayFrameType.PUBLISH);
    expect(frame.topicKey).toBe(SMOKE_HASH);
    expect(hexOf(frame.payload)).toBe(hexOf(brew));
  });

  it('RELAY-2 the two pad bytes are not checked (Python skips them)', () => {
    const frame = bytes(CAPTURED_JOIN);
    frame[2] = 0xff;
    frame[3] = 0x01;
    expect(decoded(decodeRelayFrame(frame)).type).toBe(RelayFrameType.JOIN);
  });

  it('RELAY-2 a PUBLISH may carry an empty payload (the relay does not read it)', () => {
    const frame = decoded(decodeRelayFrame(encodeRelayFrame(RelayFrameType.PUBLISH, topicHash('t'))));
    expect(frame.payload.length).toBe(0);
  });

  it('RELAY-2 decodes a frame that is a view into a larger buffer', () => {
    const join = bytes(CAPTURED_JOIN);
    const big = new Uint8Array(100);
    big.set(join, 30);
    expect(decoded(decodeRelayFrame(big.subarray(30, 70))).topicKey).toBe(SMOKE_HASH);
  });
});

describe('codec: malformed relay frames', () => {
  const hash = topicHash('smoke.test');

  it('RELAY-2 a frame shorter than the header', () => {
    expect(errorOf(decodeRelayFrame(new Uint8Array(0)))).toMatch(/shorter than the 40-byte header/);
    expect(errorOf(decodeRelayFrame(bytes(CAPTURED_JOIN).subarray(0, 39)))).toMatch(/39 bytes/);
  });

  it('RELAY-2 an unknown type', () => {
    const frame = bytes(CAPTURED_JOIN);
    frame[0] = 3;
    expect(errorOf(decodeRelayFrame(frame))).toBe('unknown frame type 3');
    frame[0] = 0;
    frame[1] = 1; // 256: the type is a u16
    expect(errorOf(decodeRelayFrame(frame))).toBe('unknown frame type 256');
  });

  it('RELAY-2 a length field that does not match exactly (short or trailing bytes)', () => {
    const publish = encodeRelayFrame(RelayFrameType.PUBLISH, hash, new Uint8Array(10));
    expect(errorOf(decodeRelayFrame(publish.subarray(0, 45)))).toMatch(/length field 10 does not match the 5 bytes/);
    const trailing = new Uint8Array(publish.length + 1);
    trailing.set(publish);
    expect(errorOf(decodeRelayFrame(trailing))).toMatch(/length field 10 does not match the 11 bytes/);
  });

  it('RELAY-2 JOIN and LEAVE with a payload', () => {
    for (const type of [RelayFrameType.JOIN, RelayFrameType.LEAVE]) {
      const frame = encodeRelayFrame(type, hash, new Uint8Array(4));
      expect(errorOf(decodeRelayFrame(frame))).toMatch(/must carry no payload/);
    }
  });

  it('RELAY-2 encode refuses a hash that is not 32 bytes', () => {
    expect(() => encodeRelayFrame(RelayFrameType.JOIN, new Uint8Array(31))).toThrow('topic hash must be 32 bytes');
  });
});

describe('codec: brew frame (notes §4.3)', () => {
  it('RELAY-5 encodes the captured brew frame header', () => {
    const payload = new Uint8Array(64);
    const frame = encodeBrewFrame('smoke.test', CAPTURED_BREWER_ID, payload);
    expect(hexOf(frame.subarray(0, 88))).toBe(CAPTURED_BREW_HEADER);
  });

  it('RELAY-5 round-trips, dashed ids accepted, hex out', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const frame = encodeBrewFrame('smoke.test', '5c206309-1f54-5207-b35a-57a26294f25a', payload);
    const decodedBrew = decodeBrewFrame(frame);
    if (!decodedBrew.ok) throw new Error(decodedBrew.error.detail);
    const brew = decodedBrew.value;
    expect(brew.major).toBe(1);
    expect(brew.minor).toBe(0);
    expect(hexOf(brew.topicHash)).toBe(SMOKE_HASH);
    expect(brew.brewerId).toBe(CAPTURED_BREWER_ID);
    expect([...brew.payload]).toEqual([1, 2, 3]);
  });

  it('RELAY-5 malformed brew frames', () => {
    expect({ error: errorDetail(decodeBrewFrame(new Uint8Array(87))) }).toEqual({ error: expect.stringMatching(/shorter than the 88-byte header/) });
    const frame = encodeBrewFrame('t', CAPTURED_BREWER_ID, new Uint8Array(4));
    expect({ error: errorDetail(decodeBrewFrame(frame.subarray(0, 90))) }).toEqual({ error: expect.stringMatching(/length field 4/) });
    expect(() => encodeBrewFrame('t', 'not-hex', new Uint8Array(0))).toThrow('brewer id must be 32 hex digits');
  });
});

describe('codec: relay subprotocol selection', () => {
  it('RELAY-1 prefers pubkeeper-1.0.0, else the first value containing "1.0", else none', () => {
    expect(selectRelaySubprotocol([RELAY_SUBPROTOCOL])).toBe('pubkeeper-1.0.0');
    expect(selectRelaySubprotocol(['x-1.0', 'pubkeeper-1.0.0'])).toBe('pubkeeper-1.0.0');
    expect(selectRelaySubprotocol(['foo', 'bar-1.0', 'baz-1.0'])).toBe('bar-1.0');
    expect(selectRelaySubprotocol(['foo', 'pubkeeper-1.1'])).toBeUndefined();
    expect(selectRelaySubprotocol([])).toBeUndefined();
  });
});
