// mosquitto: subscribers on `bench/#` at QoS 0, publishers PUBLISH at QoS 0 on bench/kitchen/temp.
import { MqttClient, mqttPublish } from '../load/mqttClient.js';
import { mosquittoBinary, startMosquitto } from '../peers/mosquitto.js';
import { notifyFrame, type FanoutTarget, type TargetSpec } from './target.js';

export const mosquittoSpec: TargetSpec = {
  key: 'mosquitto',
  label: 'mosquitto',
  // mosquitto listens with a backlog of 100.
  connectConcurrency: 32,
  unavailable: () => (mosquittoBinary() === null ? 'mosquitto is not installed' : null),
  start: async (payloadBytes) => {
    const server = await startMosquitto();
    const publish = mqttPublish('bench/kitchen/temp', notifyFrame().subarray(0, payloadBytes));
    const clients: MqttClient[] = [];
    let next = 0;
    const target: FanoutTarget = {
      label: 'mosquitto',
      server,
      subscribe: async (onDelivery) => {
        const client = await MqttClient.open(server.port, `bench-s${next++}`);
        clients.push(client);
        client.onMessage = onDelivery;
        await client.subscribe('bench/#');
      },
      publisher: async () => {
        const client = await MqttClient.open(server.port, `bench-p${next++}`);
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
