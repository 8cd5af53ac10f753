import { randomUUID } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { PcpClient } from '../../src/client/pcpClient.js';
import { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { startCli, type RunningServer } from './cli.js';
import { tempKeys, type TestKeys } from './keys.js';
import { startRedis, type TestRedis } from './redisServer.js';

/** The short timings of the cluster tests (CLUSTER.md "Testing it on one machine"). */
export const LEASE_MS = 2000;

export interface ClusterNode extends RunningServer {
  readonly id: string;
  /** `ws://127.0.0.1:<port>` */
  readonly base: string;
  /** An authenticated JSON-dialect client of this node, closed when the test ends. */
  client(sub: string, rights?: unknown[]): Promise<PubkeeperClient>;
  /** A PCP v2 client `pcp://<sub>/<type>` of this node, closed when the test ends. */
  pcp(sub: string, type?: string, rights?: unknown[]): Promise<PcpClient>;
  /** GET /healthz: status and body. */
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** GET /metrics as text. */
  metrics(): Promise<string>;
}

export interface TestCluster {
  readonly redis: TestRedis;
  readonly prefix: string;
  readonly keys: TestKeys;
  readonly nodes: ClusterNode[];
  /** Another `pubkeeper serve` process in the same cluster. */
  startNode(id?: string, extraArgs?: string[]): Promise<ClusterNode>;
}

/**
 * A Redis of the test's own and `count` real `pubkeeper serve` processes joined to it under a
 * prefix of the test's own, with a 2 s lease. Everything is killed when the test ends.
 */
export async function startCluster(count: number, extraArgs: string[] = []): Promise<TestCluster> {
  const redis = await startRedis();
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const keys = tempKeys();
  let started = 0;
  const startNode = (id = `n${++started}`, more: string[] = []): Promise<ClusterNode> =>
    startNodeProcess({ id, redisUrl: redis.url, prefix, keys, args: [...extraArgs, ...more] });
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startNode());
  return { redis, prefix, keys, nodes, startNode };
}

interface NodeOptions {
  id: string;
  redisUrl: string;
  prefix: string;
  keys: TestKeys;
  args: string[];
}

async function startNodeProcess({ id, redisUrl, prefix, keys, args }: NodeOptions): Promise<ClusterNode> {
  const running = await startCli([
    '--host', '127.0.0.1', '--port', '0', '--keys', keys.dir,
    '--cluster', redisUrl, '--cluster-prefix', prefix, '--cluster-lease-ms', String(LEASE_MS), '--node-id', id,
    '--uuid-reserve-ms', '0', '--drain-timeout-ms', '1000',
    ...args,
  ]);
  const base = `ws://127.0.0.1:${running.port}`;
  const http = `http://127.0.0.1:${running.port}`;
  const closeAtEnd = (c: { socket: { terminate(): void } }): void => onTestFinished(() => c.socket.terminate());
  return {
    ...running,
    id,
    base,
    client: async (sub, rights = ['all']) => {
      const c = await PubkeeperClient.connect(`${base}/ws`);
      closeAtEnd(c);
      if (!(await c.authenticate(keys.mint(sub, rights)))) throw new Error(`${sub} did not authenticate on ${id}`);
      return c;
    },
    pcp: async (sub, type = 'agent', rights = ['all']) => {
      const c = await PcpClient.connect(base, { token: keys.mint(sub, rights), type });
      closeAtEnd(c);
      return c;
    },
    health: async () => {
      const res = await fetch(`${http}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    metrics: async () => (await fetch(`${http}/metrics`)).text(),
  };
}

/** A log line of a node process matching `pred`, already written or the next one; the timeout only bounds a failure. */
export function logLine(node: RunningServer, pred: (line: Record<string, unknown>) => boolean, ms = 10000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const stdout = node.child.stdout;
    const cleanup = (): void => {
      clearTimeout(timer);
      stdout?.off('data', check);
    };
    // cli.ts parses each chunk into `logs` before this listener runs: it was added first.
    const check = (): void => {
      const line = node.logs.find(pred);
      if (!line) return;
      cleanup();
      resolve(line);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('no such log line in time'));
    }, ms);
    stdout?.on('data', check);
    check();
  });
}
