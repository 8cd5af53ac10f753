// Cluster mode against one process: three `pubkeeper serve --cluster` nodes on a Redis of the
// bench's own beside a single process without --cluster, started together and measured in
// alternated rounds. Two figures: how long a registration on one node takes to reach a subscriber
// on another, and how many registry writes per second go through Redis, with their CPU.
import { fmt, median, percentile, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import type { SuiteBench, SuiteContext } from './context.js';
import { clusterUnavailable, runCluster, type ClusterConfig, type ClusterResult, type WriteFigures } from './clusterRun.js';

export const FULL: ClusterConfig = { rounds: 5, latencyEvents: 400, writers: 8, writes: 4096, window: 64, batch: 16 };
export const QUICK: ClusterConfig = { rounds: 3, latencyEvents: 100, writers: 8, writes: 1024, window: 64, batch: 16 };

interface Medians {
  readonly label: string;
  readonly roles: readonly string[];
  readonly notifyP50: number;
  readonly notifyP99: number;
  readonly removedP50: number;
  readonly removedP99: number;
  readonly register: WriteFigures;
  readonly unregister: WriteFigures;
}

function medianFigures(rounds: readonly WriteFigures[]): WriteFigures {
  const processes = rounds[0]?.cpuUsEach.length ?? 0;
  return {
    perSec: median(rounds.map((f) => f.perSec)),
    cpuUs: median(rounds.map((f) => f.cpuUs)),
    cpuUsEach: Array.from({ length: processes }, (_, i) => median(rounds.map((f) => f.cpuUsEach[i] ?? Number.NaN))),
    loadgenUs: median(rounds.map((f) => f.loadgenUs)),
  };
}

function reduce(result: ClusterResult): Medians {
  return {
    label: result.label,
    roles: result.roles,
    notifyP50: percentile(result.notify, 50),
    notifyP99: percentile(result.notify, 99),
    removedP50: percentile(result.removed, 50),
    removedP99: percentile(result.removed, 99),
    register: medianFigures(result.register),
    unregister: medianFigures(result.unregister),
  };
}

function print(cluster: Medians, single: Medians, config: ClusterConfig): void {
  const vs = (ours: number, theirs: number): string => ratioText(ours / theirs);
  console.log(
    `\n  latency: ${config.latencyEvents} brewers × ${config.rounds} rounds per system, one at a time, registered on node A and ` +
      'unregistered again, the subscriber on node C (every event of every round pooled)',
  );
  printTable([
    ['system', 'notify p50 ms', 'notify p99 ms', 'removed p50 ms', 'removed p99 ms'],
    ...[cluster, single].map((m) => [m.label, fmt(m.notifyP50), fmt(m.notifyP99), fmt(m.removedP50), fmt(m.removedP99)]),
    ['cluster / single', vs(cluster.notifyP50, single.notifyP50), vs(cluster.notifyP99, single.notifyP99), vs(cluster.removedP50, single.removedP50), vs(cluster.removedP99, single.removedP99)],
  ]);
  console.log(
    `\n  writes: ${config.writes.toLocaleString('en-US')} registrations, then their unregistrations, per round per system, from ${config.writers} ` +
      `sessions on nodes A and B, ${config.window} in flight each, ${config.batch} per write; counted at the subscriber on node C ` +
      '(medians of rounds; server CPU: every node and Redis, or the one process)',
  );
  printTable([
    ['system', 'register/s', 'unregister/s', 'server CPU µs/register', 'server CPU µs/unregister', 'loadgen CPU µs/write'],
    ...[cluster, single].map((m) => [m.label, fmt(m.register.perSec), fmt(m.unregister.perSec), fmt(m.register.cpuUs), fmt(m.unregister.cpuUs), fmt(m.register.loadgenUs)]),
    [
      'cluster / single',
      vs(cluster.register.perSec, single.register.perSec),
      vs(cluster.unregister.perSec, single.unregister.perSec),
      vs(cluster.register.cpuUs, single.register.cpuUs),
      vs(cluster.unregister.cpuUs, single.unregister.cpuUs),
      '',
    ],
  ]);
  const byRole = (f: WriteFigures): string => cluster.roles.map((role, i) => `${role} ${fmt(f.cpuUsEach[i] ?? Number.NaN)}`).join(', ');
  console.log(`\n  cluster CPU µs per registration by process: ${byRole(cluster.register)}`);
  console.log(`  cluster CPU µs per unregistration by process: ${byRole(cluster.unregister)}`);
}

/** No issue sets goals for the cluster: these bounds are our own (BENCHMARKS.md, "Cluster"). */
function goals(cluster: Medians, single: Medians): GoalRow[] {
  const row = (goal: string, unit: string, ours: number, theirs: number, target: string, met: boolean): GoalRow => ({
    goal,
    unit,
    ours,
    baseline: theirs,
    baselineLabel: 'single process',
    target,
    met,
  });
  return [
    row('cluster: register→notify across nodes, p50', 'ms', cluster.notifyP50, single.notifyP50, '≤ 5 ms (our own)', cluster.notifyP50 <= 5),
    row('cluster: register→notify across nodes, p99', 'ms', cluster.notifyP99, single.notifyP99, '≤ 20 ms (our own)', cluster.notifyP99 <= 20),
    row('cluster: registrations per second', '/s', cluster.register.perSec, single.register.perSec, '≥ 1,000/s (our own)', cluster.register.perSec >= 1000),
    row('cluster: unregistrations per second', '/s', cluster.unregister.perSec, single.unregister.perSec, '≥ 1,000/s (our own)', cluster.unregister.perSec >= 1000),
  ];
}

export const clusterBench: SuiteBench = {
  name: 'cluster',
  title: 'cluster: register→notify across 3 nodes on Redis and registry writes per second, vs one process',
  run: async (context: SuiteContext) => {
    const reason = clusterUnavailable();
    if (reason !== null) {
      console.log(`  (skipping: ${reason})`);
      return [];
    }
    const config = context.quick ? QUICK : FULL;
    const results = await runCluster(config);
    const cluster = results.find((r) => r.key === 'cluster');
    const single = results.find((r) => r.key === 'single');
    if (!cluster || !single) return [];
    const [c, s] = [reduce(cluster), reduce(single)];
    print(c, s, config);
    return goals(c, s);
  },
};
