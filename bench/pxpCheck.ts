// PXP's own cost on each side: every request an agent gets and every answer a controller gets is
// checked against its zod schema (src/protocol/pxp/messages.ts) after PcpClient has parsed the
// envelope. The baseline is that parse, JSON.parse of the same message: what any PCP peer pays.
import { parsePxpData, PxpType } from '../src/protocol/pxp/messages.js';
import { measure, reportRatio } from './harness.js';

export async function run(): Promise<void> {
  const data = { transaction_id: '0f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b', module: 'echo', action: 'say', params: { argument: 'hello world' } };
  const text = JSON.stringify({ id: '4ddc3f6e-5a4b-4c8e-9d2f-1b2c3d4e5f60', message_type: PxpType.BLOCKING_REQUEST, sender: 'pcp://ops/controller', data });
  const results = { transaction_id: data.transaction_id, results: { said: 'hello world', at: 1796474017146 } };
  const parse = measure('JSON.parse of the message', () => JSON.parse(text), { minMs: 1500 });
  const request = measure('parsePxpData(blocking request)', () => parsePxpData(PxpType.BLOCKING_REQUEST, data), { minMs: 1500 });
  const response = measure('parsePxpData(blocking response)', () => parsePxpData(PxpType.BLOCKING_RESPONSE, results), { minMs: 1500 });
  if (!parsePxpData(PxpType.BLOCKING_REQUEST, data).ok) throw new Error('the bench request is not valid');
  console.log('PXP data checks, per message, beside the JSON.parse every PCP peer does');
  reportRatio('JSON.parse of the message', [parse, request, response]);
}
