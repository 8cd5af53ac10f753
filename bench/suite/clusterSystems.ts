// The two systems of the cluster benchmark: three `pubkeeper serve --cluster` nodes on a Redis of
// the bench's own, and one single process (no --cluster), the baseline. Each gives the ports of
// nodes A, B and C (the single process plays all three) and every pid whose CPU a write costs.
import { startRedis } from '../peers/redisServer.js';
import { startPubkeeper, type Server } from '../servers/launch.js';

export type SystemKey = 'cluster' | 'single';

export interface System {
  readonly key: SystemKey;
  readonly label: string;
  /** Nodes A, B and C: where brewers, remote brewers and the subscriber connect. */
  readonly ports: readonly [number, number, number];
  /** Every process that serves: the nodes and Redis, or the one server. */
  readonly pids: readonly number[];
  /** What each of `pids` is, for the tables. */
  readonly roles: readonly string[];
  stop(): Promise<void>;
}

/** The lease of the cluster tests (test/helpers/cluster.ts): renewals every 0.67 s, reaps every 0.25 s. */
const LEASE_MS = 2000;

/** Stops every server that started, and throws the first failure once they all have. */
async function startAll(starts: readonly Promise<Server>[]): Promise<Server[]> {
  const outcomes = await Promise.allSettled(starts);
  const servers = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    throw failed.reason;
  }
  return servers;
}

export async function startCluster(): Promise<System> {
  const [redis] = await startAll([startRedis()]);
  if (!redis) throw new Error('redis-server did not start');
  const flags = (id: string): Record<string, string> => ({
    cluster: `redis://127.0.0.1:${redis.port}`,
    // The Redis is the bench's own: one fixed prefix is enough.
    'cluster-prefix': 'bench',
    'cluster-lease-ms': String(LEASE_MS),
    'node-id': id,
  });
  let nodes: Server[];
  try {
    nodes = await startAll(['n1', 'n2', 'n3'].map((id) => startPubkeeper(flags(id))));
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const [a, b, c] = nodes;
  if (!a || !b || !c) throw new Error('a cluster node did not start');
  return {
    key: 'cluster',
    label: 'cluster (3 nodes + Redis)',
    ports: [a.port, b.port, c.port],
    pids: [...nodes.map((n) => n.pid), redis.pid],
    roles: ['node A (writers)', 'node B (writers)', 'node C (subscriber)', 'Redis'],
    // Nodes first: a node whose Redis is gone would wait for it while draining.
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await redis.stop();
    },
  };
}

export async function startSingle(): Promise<System> {
  const server = await startPubkeeper();
  return {
    key: 'single',
    label: 'single process',
    ports: [server.port, server.port, server.port],
    pids: [server.pid],
    roles: ['the one process'],
    stop: () => server.stop(),
  };
}
