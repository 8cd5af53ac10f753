// nats-server: subscribers on `bench.>`, publishers PUB on bench.kitchen.temp.
import { NatsClient, natsPub } from '../load/natsClient.js';
import { natsBinary, startNats } from '../peers/natsServer.js';
import { notifyFrame, type FanoutTarget, type TargetSpec } from './target.js';

export const natsSpec: TargetSpec = {
  key: 'nats',
  label: 'nats-server',
  connectConcurrency: 64,
  unavailable: () => (natsBinary() === null ? 'nats-server is not installed' : null),
  start: async (payloadBytes) => {
    const server = await startNats();
    const publish = natsPub('bench.kitchen.temp', notifyFrame().subarray(0, payloadBytes));
    const clients: NatsClient[] = [];
    const target: FanoutTarget = {
      label: 'nats-server',
      server,
      subscribe: async (onDelivery) => {
        const client = await NatsClient.open(server.port);
        clients.push(client);
        client.onMessage = onDelivery;
        await client.subscribe('bench.>', 1);
      },
      publisher: async () => {
        const client = await NatsClient.open(server.port);
        clients.push(client);
        return { event: () => publish, write: (bytes) => client.write(bytes) };
      },
      close: async () => {
        for (const client of clients) client.destroy();
        await server.stop();
      },
    };
    return target;
  },
};
