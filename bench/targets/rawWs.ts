// The two ws baselines: raw broadcast (`ws.send` per subscriber) and coalesced pre-framed writes.
// Subscribers open /sub (the server has them once the upgrade is answered); publishers open /pub
// and send the payload, which the server relays to everyone.
import { clientFrame, RawWs } from '../load/rawWs.js';
import { startBaseline, type BaselineScript } from '../servers/launch.js';
import { notifyFrame, type FanoutTarget, type TargetSpec } from './target.js';

function rawSpec(key: 'rawBroadcast' | 'coalescedRaw', script: BaselineScript, label: string): TargetSpec {
  return {
    key,
    label,
    connectConcurrency: 64,
    unavailable: () => null,
    start: async (payloadBytes) => {
      const server = await startBaseline(script);
      const frame = clientFrame(notifyFrame().subarray(0, payloadBytes));
      const clients: RawWs[] = [];
      const target: FanoutTarget = {
        label,
        server,
        subscribe: async (onDelivery) => {
          const ws = await RawWs.open({ port: server.port, path: '/sub' });
          clients.push(ws);
          ws.onFrame = () => onDelivery();
        },
        publisher: async () => {
          const ws = await RawWs.open({ port: server.port, path: '/pub' });
          clients.push(ws);
          return { event: () => frame, write: (bytes) => ws.write(bytes) };
        },
        close: async () => {
          for (const ws of clients) ws.destroy();
          await server.stop();
        },
      };
      return target;
    },
  };
}

export const rawBroadcastSpec = rawSpec('rawBroadcast', 'rawBroadcast', 'raw ws broadcast');
export const coalescedRawSpec = rawSpec('coalescedRaw', 'coalescedRaw', 'coalesced raw writes');
