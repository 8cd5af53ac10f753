import type { Frame } from '../../core/connection.js';

/**
 * Server-to-client WebSocket data frames (RFC 6455 §5.2), built by us so a frame many sockets
 * receive is framed once: FIN set, no extension bits (we never negotiate compression), unmasked
 * (a server never masks), with the 7-bit, 16-bit or 64-bit payload length the size calls for.
 */

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** Header bytes for a payload of `length` bytes. */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** Writes the header at the start of `target`; returns its length. */
export function writeHeader(target: Buffer, binary: boolean, length: number): number {
  target[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (length < 126) {
    target[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = 127;
  // Lengths past 2^32 are exact up to 2^53, far past any maxPayload.
  target.writeUInt32BE(Math.floor(length / 0x100000000), 2);
  target.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/** The whole frame, header and payload, in one buffer: one copy of the payload, one write. */
export function buildFrame(binary: boolean, payload: Uint8Array | string): Buffer {
  if (typeof payload === 'string') {
    const length = Buffer.byteLength(payload, 'utf8');
    const frame = Buffer.allocUnsafe(headerLength(length) + length);
    frame.write(payload, writeHeader(frame, binary, length), 'utf8');
    return frame;
  }
  const frame = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  frame.set(payload, writeHeader(frame, binary, payload.length));
  return frame;
}

/** The header alone, for a payload too large to be worth copying behind it. */
export function buildHeader(binary: boolean, length: number): Buffer {
  const header = Buffer.allocUnsafe(headerLength(length));
  writeHeader(header, binary, length);
  return header;
}

/**
 * A binary frame framed at once, its payload a view into the wire bytes: for a payload kept a
 * while (the relay's last values), so it is held once, not once as data and again as the frame.
 * The payload is copied, so it never pins the buffer it was read from.
 */
export function preFramedBinary(payload: Uint8Array): Frame {
  const wire = buildFrame(true, payload);
  return { data: wire.subarray(headerLength(payload.length)), binary: true, wire };
}
