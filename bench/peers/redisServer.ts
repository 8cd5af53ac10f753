// redis-server for the cluster benchmark: our own instance on a free port of 127.0.0.1 with no
// persistence (`--save '' --appendonly no`, as test/helpers/redisServer.ts starts it), never the
// machine's shared one on 6379, whose other users would both disturb and be disturbed by a run.
import { freePort, startChild, waitForPort } from '../children.js';
import type { Server } from '../servers/launch.js';
import { peerBinary, peerServer } from './binary.js';

export function redisBinary(): string | null {
  return peerBinary('redis-server', process.env.BENCH_REDIS_SERVER);
}

export async function startRedis(): Promise<Server> {
  const binary = redisBinary();
  if (binary === null) throw new Error('redis-server is not installed');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  const child = startChild('redis-server', binary, args);
  await waitForPort(port, child);
  return peerServer('redis-server', child, port);
}
