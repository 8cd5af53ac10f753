// Routing: a PCP v2 message from one client to another through the broker (decode, check sender
// and send right, look up the target, encode, send). The baseline is the least any router must do
// with a JSON message: one JSON.parse and one JSON.stringify.
import { PCP_V2 } from '../src/core/dialects/pcp/pcpDialect.js';
import { allRights, benchHub, CountingConnection } from './memory.js';
import { measure, reportRatio } from './harness.js';

export async function run(): Promise<void> {
  const hub = benchHub();
  const from = hub.connectPcp(PCP_V2, 'pcp://a/agent', allRights('a'), new CountingConnection(), hub.log);
  const toConn = new CountingConnection();
  hub.connectPcp(PCP_V2, 'pcp://b/agent', allRights('b'), toConn, hub.log);
  for (let i = 0; i < 10_000; i++) hub.connectPcp(PCP_V2, `pcp://n${i}/agent`, allRights(`n${i}`), new CountingConnection(), hub.log);
  const frame = Buffer.from(
    JSON.stringify({
      id: '4ddc3f6e-5a4b-4c8e-9d2f-1b2c3d4e5f60',
      message_type: 'http://puppetlabs.com/rpc_blocking_request',
      target: 'pcp://b/agent',
      data: { transaction_id: 'f0e1d2c3', module: 'echo', action: 'echo', params: { argument: 'hello world' } },
    }),
  );
  const text = frame.toString();

  const routed = measure('route v2 → v2', () => from.receive(frame, false), { minMs: 1500 });
  const baseline = measure('JSON.parse + JSON.stringify', () => JSON.stringify(JSON.parse(text)), { minMs: 1500 });
  if (toConn.frames === 0) throw new Error('routing bench delivered nothing');
  console.log('PCP routing between two of 10,002 connected clients');
  reportRatio('JSON.parse + JSON.stringify', [baseline, routed]);
}
