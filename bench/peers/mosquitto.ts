// mosquitto as a peer: our own instance from a generated config (one listener on a free port of
// 127.0.0.1, anonymous, no persistence), never the machine's shared one on 1883. MQTT 3.1.1 over
// TCP (load/mqttClient.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startChild, waitForPort } from '../children.js';
import { tempDir } from '../keys.js';
import type { Server } from '../servers/launch.js';
import { peerBinary, peerServer } from './binary.js';

export function mosquittoBinary(): string | null {
  return peerBinary('mosquitto', process.env.BENCH_MOSQUITTO);
}

export async function startMosquitto(): Promise<Server> {
  const binary = mosquittoBinary();
  if (binary === null) throw new Error('mosquitto is not installed');
  const port = await freePort();
  const config = join(tempDir('pubkeeper-bench-mosquitto-'), 'mosquitto.conf');
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'max_connections -1', ''].join('\n'),
  );
  const child = startChild('mosquitto', binary, ['-c', config]);
  await waitForPort(port, child);
  return peerServer('mosquitto', child, port);
}
