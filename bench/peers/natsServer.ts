// nats-server as a peer: our own instance on a free port of 127.0.0.1, never the machine's shared
// one on 4222. Plain NATS protocol over TCP (load/natsClient.ts).
import { freePort, startChild, waitForPort } from '../children.js';
import type { Server } from '../servers/launch.js';
import { peerBinary, peerServer } from './binary.js';

export function natsBinary(): string | null {
  return peerBinary('nats-server', process.env.BENCH_NATS_SERVER);
}

export async function startNats(): Promise<Server> {
  const binary = natsBinary();
  if (binary === null) throw new Error('nats-server is not installed');
  const port = await freePort();
  const child = startChild('nats-server', binary, ['-a', '127.0.0.1', '-p', String(port)]);
  await waitForPort(port, child);
  return peerServer('nats-server', child, port);
}
