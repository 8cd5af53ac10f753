import { describe, expect, it } from 'vitest';
import { isPxpType, parsePxpData, PxpType, statusQueryResultsSchema } from '../../src/protocol/pxp/messages.js';

const TX = '0f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b';

describe('PXP data chunks', () => {
  it('accepts each message as the spec writes it', () => {
    const valid: [string, unknown][] = [
      [PxpType.BLOCKING_REQUEST, { transaction_id: TX, module: 'echo', action: 'say', params: { text: 'hi' } }],
      [PxpType.BLOCKING_REQUEST, { transaction_id: TX, module: 'echo', action: 'say' }],
      [PxpType.NON_BLOCKING_REQUEST, { transaction_id: TX, module: 'echo', action: 'say', notify_outcome: true }],
      [PxpType.BLOCKING_RESPONSE, { transaction_id: TX, results: { said: 'hi' } }],
      [PxpType.PROVISIONAL_RESPONSE, { transaction_id: TX }],
      [PxpType.NON_BLOCKING_RESPONSE, { transaction_id: TX, job_id: '7', results: {} }],
      [PxpType.RPC_ERROR, { transaction_id: TX, id: TX, description: 'Unknown module echo.' }],
      [PxpType.PROGRESS, { transaction_id: TX, progress: 0.5 }],
      [PxpType.PROGRESS, { transaction_id: TX, progress: null }],
      [PxpType.CANCEL, { transaction_id: TX }],
      [PxpType.DATA_REQUEST, { transaction_id: TX, name: 'password', data: { prompt: 'pw?' } }],
      [PxpType.DATA_RESPONSE, { transaction_id: TX, name: 'password', data: 'secret' }],
    ];
    for (const [type, data] of valid) {
      expect(isPxpType(type)).toBe(true);
      if (isPxpType(type)) expect(parsePxpData(type, data), type).toEqual({ ok: true, value: data });
    }
  });

  it('refuses other keys, missing keys and wrong types, with a one-line reason', () => {
    expect(parsePxpData(PxpType.BLOCKING_REQUEST, { transaction_id: TX, module: 'm', action: 'a', extra: 1 })).toMatchObject({ ok: false });
    expect(parsePxpData(PxpType.NON_BLOCKING_REQUEST, { transaction_id: TX, module: 'm', action: 'a' })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^invalid http:\/\/puppetlabs\.com\/rpc_non_blocking_request data: notify_outcome: /),
    });
    expect(parsePxpData(PxpType.BLOCKING_RESPONSE, { transaction_id: TX, results: [1] })).toMatchObject({ ok: false });
    expect(parsePxpData(PxpType.PROGRESS, { transaction_id: TX })).toMatchObject({ ok: false });
    expect(parsePxpData(PxpType.DATA_RESPONSE, { transaction_id: TX, name: 'x' })).toMatchObject({ ok: false });
    expect(parsePxpData(PxpType.CANCEL, { transaction_id: '' })).toMatchObject({ ok: false });
    expect(parsePxpData(PxpType.CANCEL, { transaction_id: 'x'.repeat(257) })).toMatchObject({ ok: false });
    for (const garbage of [undefined, null, 'text', 42, []]) expect(parsePxpData(PxpType.RPC_ERROR, garbage)).toMatchObject({ ok: false });
    expect(isPxpType('http://puppetlabs.com/inventory_request')).toBe(false);
    expect(isPxpType('constructor')).toBe(false);
  });

  it('status query results take the spec\'s optional keys and more, with a known status', () => {
    expect(statusQueryResultsSchema.safeParse({ transaction_id: TX, status: 'running', exitcode: 0, stdout: '', since: 3 }).success).toBe(true);
    expect(statusQueryResultsSchema.safeParse({ transaction_id: TX, status: 'done' }).success).toBe(false);
  });
});
