import { describe, expect, it } from 'vitest';
import { decodeClientFrame } from '../../src/protocol/pubkeeper/codec.js';
import { validateV1Payload } from '../../src/protocol/pubkeeper-v1/codec.js';
import { V1Packet } from '../../src/protocol/pubkeeper-v1/packets.js';

const detail = (result: { ok: boolean; error?: { message: string } }): string | undefined => result.error?.message;

describe('codec: an invalid payload names the field that is wrong', () => {
  it('a value of neither shape a union takes gets the union\'s wording', () => {
    expect(detail(decodeClientFrame('[11,{"topic":"a","brewer":5}]'))).toBe('Invalid payload: brewer must be a uuid string or a brewer object');
    expect(detail(validateV1Payload({ id: V1Packet.BREWS_REGISTER, payload: { brews: [true] } }))).toBe(
      'Invalid payload: brews.0 must be a brew name or a brew object',
    );
  });

  it('a value of the right shape but wrong inside names the inner field', () => {
    expect(detail(decodeClientFrame('[11,{"topic":"a","brewer":{"uuid":5}}]'))).toBe('Invalid payload: brewer.uuid must be a string');
    expect(detail(validateV1Payload({ id: V1Packet.BREWS_REGISTER, payload: { brews: ['websocket', { name: true }] } }))).toBe(
      'Invalid payload: brews.1.name must be a string',
    );
  });
});
