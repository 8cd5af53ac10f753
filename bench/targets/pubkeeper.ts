// Ours: JSON-dialect sessions on /ws subscribed to `bench.**`; publishers register and unregister
// brewers on bench.kitchen.temp. A sentinel brewer registered first answers each SUBSCRIBE with a
// snapshot, which is how a subscriber knows the server has its subscription.
import { benchKeys } from '../keys.js';
import { clientFrame, RawWs } from '../load/rawWs.js';
import { startPubkeeper } from '../servers/launch.js';
import { brewerObject, brewerUuid, EVENT_TOPIC, notifyFrame, type FanoutPublisher, type FanoutTarget, type TargetSpec } from './target.js';

const SENTINEL_ID = 999_999;

/** Opens a /ws session, authenticates it and resolves with it; `sub` names the token's subject. */
export async function jsonSession(port: number, token: string): Promise<RawWs> {
  const ws = await RawWs.open({ port, path: '/ws' });
  const answer = new Promise<string>((resolve) => (ws.onFrame = (payload) => resolve(payload.toString())));
  ws.send(JSON.stringify([1, { token }]));
  const text = await answer;
  if (text !== '[2,{"authenticated":true}]') throw new Error(`pubkeeper refused the bench token: ${text}`);
  return ws;
}

export const pubkeeperSpec: TargetSpec = {
  key: 'pubkeeper',
  label: 'pubkeeper',
  connectConcurrency: 64,
  unavailable: () => null,
  start: async (payloadBytes) => {
    const expected = notifyFrame().length;
    if (payloadBytes !== expected) throw new Error(`pubkeeper's notify frame is ${expected} bytes, not ${payloadBytes}`);
    const server = await startPubkeeper();
    const token = benchKeys().mint('bench');
    const clients: RawWs[] = [];
    try {
      const control = await jsonSession(server.port, token);
      clients.push(control);
      const sentinel = new Promise<void>((resolve) => (control.onFrame = () => resolve()));
      control.send(JSON.stringify([10, { topic: 'bench.sentinel.one', brewer: brewerObject(SENTINEL_ID) }]));
      // A literal pattern: the control session is told of the sentinel and of nothing else.
      control.send(JSON.stringify([20, { topic: 'bench.sentinel.one' }]));
      await sentinel;
    } catch (error) {
      await server.stop();
      throw error;
    }
    const target: FanoutTarget = {
      label: 'pubkeeper',
      server,
      subscribe: async (onDelivery) => {
        const ws = await jsonSession(server.port, token);
        clients.push(ws);
        const snapshot = new Promise<number>((resolve) => (ws.onFrame = (payload) => resolve(payload.length)));
        ws.send(JSON.stringify([20, { topic: 'bench.**' }]));
        const size = await snapshot;
        if (size !== payloadBytes) throw new Error(`pubkeeper sent a ${size}-byte notify where ${payloadBytes} bytes were expected`);
        ws.onFrame = () => onDelivery();
      },
      publisher: async () => {
        const ws = await jsonSession(server.port, token);
        clients.push(ws);
        ws.onFrame = (payload) => {
          throw new Error(`pubkeeper answered a publisher: ${payload.toString()}`);
        };
        const cache = new Map<number, Buffer>();
        const publisher: FanoutPublisher = {
          event: (add, id) => {
            const key = add ? id : -id - 1;
            let frame = cache.get(key);
            if (frame === undefined) {
              const request = add ? [10, { topic: EVENT_TOPIC, brewer: brewerObject(id) }] : [11, { topic: EVENT_TOPIC, brewer: brewerUuid(id) }];
              frame = clientFrame(JSON.stringify(request));
              cache.set(key, frame);
            }
            return frame;
          },
          write: (bytes) => ws.write(bytes),
        };
        return publisher;
      },
      close: async () => {
        for (const ws of clients) ws.destroy();
        await server.stop();
      },
    };
    return target;
  },
};
