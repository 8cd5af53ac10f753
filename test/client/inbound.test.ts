import { describe, expect, it } from 'vitest';
import {
  InvalidMessageError,
  binaryFrame,
  checkBrewerEvent,
  checkInventoryUpdate,
  checkServerFrame,
  decodePcpMessage,
  decodeServerEnvelope,
  inventoryUris,
} from '../../src/client/inbound.js';

/** The code of the error, or 'ok'. */
const outcome = (value: unknown): string => (value instanceof InvalidMessageError ? value.code : 'ok');

describe('client: inbound validation', () => {
  it.each([
    ['{"id":"1","message_type":"x"}', 'ok'],
    ['{"id":"1","message_type":"","target":"pcp://a/b","sender":"pcp:///server","in_reply_to":"2","data":null}', 'ok'],
    ['not json', 'DECODE_FAILED'],
    ['null', 'DECODE_FAILED'],
    ['"x"', 'DECODE_FAILED'],
    ['[{"id":"1","message_type":"x"}]', 'DECODE_FAILED'],
    ['{"message_type":"x"}', 'DECODE_FAILED'],
    ['{"id":1,"message_type":"x"}', 'DECODE_FAILED'],
    ['{"id":"1"}', 'DECODE_FAILED'],
    ['{"id":"1","message_type":"x","sender":{}}', 'DECODE_FAILED'],
    ['{"id":"1","message_type":"x","target":null}', 'DECODE_FAILED'],
  ])('PCP envelope %s: %s', (text, expected) => {
    expect(outcome(decodePcpMessage(text))).toBe(expected);
  });

  it.each([
    [{ topic: 'a.b', brewer: { uuid: 'u', port: 1 } }, 'ok'],
    [null, 'INVALID_PAYLOAD'],
    ['x', 'INVALID_PAYLOAD'],
    [[], 'INVALID_PAYLOAD'],
    [{ brewer: { uuid: 'u' } }, 'INVALID_PAYLOAD'],
    [{ topic: 'a', brewer: 'u' }, 'INVALID_PAYLOAD'],
    [{ topic: 'a', brewer: [] }, 'INVALID_PAYLOAD'],
    [{ topic: 'a', brewer: { uuid: 5 } }, 'INVALID_PAYLOAD'],
  ])('brewer event %j: %s', (data, expected) => {
    expect(outcome(checkBrewerEvent(data, data))).toBe(expected);
  });

  it('a brewer event keeps the brewer object whole and drops other keys', () => {
    const brewer = { uuid: 'u', hostname: 'h', extra: { a: 1 } };
    expect(checkBrewerEvent({ topic: 't', brewer, more: 1 }, undefined)).toEqual({ topic: 't', brewer });
  });

  it.each([
    [{ changes: [] }, 'ok'],
    [{ changes: [{ client: 'pcp://a/b', change: 1 }, { client: 'pcp://a/c', change: -1 }] }, 'ok'],
    [null, 'INVALID_PAYLOAD'],
    [{}, 'INVALID_PAYLOAD'],
    [{ changes: 'x' }, 'INVALID_PAYLOAD'],
    [{ changes: [null] }, 'INVALID_PAYLOAD'],
    [{ changes: [{ client: 5, change: 1 }] }, 'INVALID_PAYLOAD'],
    [{ changes: [{ client: 'pcp://a/b', change: 2 }] }, 'INVALID_PAYLOAD'],
    [{ changes: [{ client: 'pcp://a/b', change: '1' }] }, 'INVALID_PAYLOAD'],
  ])('inventory_update %j: %s', (data, expected) => {
    expect(outcome(checkInventoryUpdate(data, data))).toBe(expected);
  });

  it('inventory_response uris are a list of strings, or nothing', () => {
    expect(inventoryUris({ uris: ['pcp://a/b'] })).toEqual(['pcp://a/b']);
    expect(inventoryUris({ uris: [1] })).toBeUndefined();
    expect(inventoryUris(null)).toBeUndefined();
  });

  it.each([
    ['[2,{"authenticated":true}]', 'ok'],
    ['[99,{"message":"Invalid payload"}]', 'ok'],
    ['[12,{"topic":"a","brewer":{"uuid":"u"}}]', 'ok'],
    ['[13,{"topic":"a","brewer":{"uuid":"u"}}]', 'ok'],
    ['[2,{"authenticated":"yes"}]', 'INVALID_PAYLOAD'],
    ['[99,{}]', 'INVALID_PAYLOAD'],
    ['[12,{"topic":5}]', 'INVALID_PAYLOAD'],
    ['[13,{"topic":"a","brewer":null}]', 'INVALID_PAYLOAD'],
    ['[10,{}]', 'UNKNOWN_PACKET'],
  ])('/ws frame %s: %s', (text, expected) => {
    const envelope = decodeServerEnvelope(text);
    expect(envelope).not.toBeInstanceOf(InvalidMessageError);
    expect(outcome(checkServerFrame(envelope as [number, Record<string, unknown>]))).toBe(expected);
  });

  it.each(['x', 'null', '{}', '[]', '[12]', '[12,"x"]', '[12,null]', '[12,[]]', '["12",{}]', '[1.5,{}]', '[12,{},1]'])('/ws envelope %s: DECODE_FAILED', (text) => {
    expect(outcome(decodeServerEnvelope(text))).toBe('DECODE_FAILED');
  });

  it('keeps what arrived, the text cut short; a binary frame is named with its size', () => {
    const long = decodePcpMessage('x'.repeat(1000));
    expect((long as InvalidMessageError).received).toBe(`${'x'.repeat(200)}…`);
    expect(binaryFrame('PCP v2', Buffer.alloc(3))).toMatchObject({ code: 'DECODE_FAILED', message: 'binary frame (3 bytes) on PCP v2' });
    expect(binaryFrame('PCP v2', [Buffer.alloc(2), Buffer.alloc(5)]).message).toContain('7 bytes');
  });
});
