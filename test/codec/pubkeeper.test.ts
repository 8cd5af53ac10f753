import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, encodeServerFrame } from '../../src/protocol/pubkeeper/codec.js';
import { SERVER_PACKETS } from '../../src/protocol/pubkeeper/packets.js';

interface ClientVector {
  name: string;
  frame: string;
  packet?: number;
  payload?: unknown;
  error?: string;
  message?: string;
}
interface ServerVector {
  name: string;
  packet: keyof typeof SERVER_PACKETS;
  payload: object;
  frame: string;
}

const vectors = JSON.parse(readFileSync(new URL('../../protocol/vectors/pubkeeper.json', import.meta.url), 'utf8')) as {
  client: ClientVector[];
  server: ServerVector[];
};

describe('codec: PubKeeper JSON dialect vectors (protocol/vectors/pubkeeper.json)', () => {
  for (const v of vectors.client) {
    it(`client: ${v.name}`, () => {
      const decoded = decodeClientFrame(v.frame);
      if (v.error) {
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) {
          expect(decoded.error.code).toBe(v.error);
          if (v.message) expect(decoded.error.message).toBe(v.message);
        }
        return;
      }
      expect(decoded).toEqual({ ok: true, value: { id: v.packet, payload: v.payload } });
      if (decoded.ok) expect(JSON.parse(JSON.stringify([decoded.value.id, decoded.value.payload]))).toEqual(JSON.parse(v.frame));
    });
  }
  for (const v of vectors.server) {
    it(`server: ${v.name} encodes byte for byte and matches its schema`, () => {
      expect(encodeServerFrame(v.packet, v.payload)).toBe(v.frame);
      expect(SERVER_PACKETS[v.packet].schema.safeParse(v.payload).success).toBe(true);
    });
  }
});
