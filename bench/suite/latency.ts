// Latency: one event at a time to 1,000 subscribers; from the write of a registration to the
// moment the load generator has counted it at the first and at the last subscriber. Sender and
// receivers are one process, so both ends read the same clock.
import { fmt, percentile, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import { availableTargets } from '../targets/index.js';
import { notifyFrame, type TargetKey } from '../targets/target.js';
import type { SuiteBench, SuiteContext } from './context.js';
import { sequential, steady, openRig, type Rig } from './rig.js';

export interface LatencyConfig {
  readonly subscribers: number;
  readonly rounds: number;
  /** Events per round per system (even). */
  readonly events: number;
  readonly targets: readonly TargetKey[];
}

export const FULL: LatencyConfig = { subscribers: 1000, rounds: 5, events: 100, targets: ['pubkeeper', 'rawBroadcast', 'coalescedRaw'] };
export const QUICK: LatencyConfig = { subscribers: 1000, rounds: 3, events: 24, targets: ['pubkeeper', 'rawBroadcast'] };

export interface LatencyResult {
  readonly key: TargetKey;
  readonly label: string;
  /** Every event of every round, ms. */
  readonly first: number[];
  readonly last: number[];
}

export async function runLatency(config: LatencyConfig): Promise<LatencyResult[]> {
  const specs = availableTargets(config.targets);
  const rigs: Rig[] = [];
  try {
    const opened = await Promise.allSettled(specs.map((spec) => openRig(spec, config.subscribers, 1, notifyFrame().length)));
    for (const outcome of opened) if (outcome.status === 'fulfilled') rigs.push(outcome.value);
    for (const outcome of opened) if (outcome.status === 'rejected') throw outcome.reason;
    for (const rig of rigs) await steady(rig, 16, 1); // warm-up
    const results = rigs.map((rig): LatencyResult => ({ key: rig.spec.key, label: rig.spec.label, first: [], last: [] }));
    for (let round = 0; round < config.rounds; round++) {
      for (let i = 0; i < rigs.length; i++) {
        const at = (i + round) % rigs.length;
        const rig = rigs[at];
        const result = results[at];
        if (!rig || !result) continue;
        const latencies = await sequential(rig, config.events);
        result.first.push(...latencies.first);
        result.last.push(...latencies.last);
      }
    }
    return results;
  } finally {
    for (const rig of rigs) await rig.target.close();
  }
}

function goals(results: readonly LatencyResult[], config: LatencyConfig): GoalRow[] {
  const ours = results.find((r) => r.key === 'pubkeeper');
  const raw = results.find((r) => r.key === 'rawBroadcast');
  if (!ours || !raw) return [];
  return [50, 99].map((p) => {
    const mine = percentile(ours.last, p);
    const theirs = percentile(raw.last, p);
    return {
      goal: `latency to the last of ${config.subscribers.toLocaleString('en-US')}: p${p}`,
      unit: 'ms',
      ours: mine,
      baseline: theirs,
      baselineLabel: 'raw ws broadcast',
      target: '≤ 1.00× raw ws broadcast',
      met: mine <= theirs,
    };
  });
}

export const latencyBench: SuiteBench = {
  name: 'latency',
  title: 'latency: a registration to the first and the last of 1,000 subscribers, one event at a time',
  run: async (context: SuiteContext) => {
    const config = context.quick ? QUICK : FULL;
    const results = await runLatency(config);
    const raw = results.find((r) => r.key === 'rawBroadcast');
    console.log(`\n  ${config.subscribers.toLocaleString('en-US')} subscribers, ${config.events} events × ${config.rounds} rounds per system (every event of every round pooled)`);
    printTable([
      ['system', 'last p50 ms', 'last p99 ms', 'last p50 vs raw', 'last p99 vs raw', 'first p50 ms', 'first p99 ms'],
      ...results.map((r) => [
        r.label,
        fmt(percentile(r.last, 50)),
        fmt(percentile(r.last, 99)),
        raw ? ratioText(percentile(r.last, 50) / percentile(raw.last, 50)) : '—',
        raw ? ratioText(percentile(r.last, 99) / percentile(raw.last, 99)) : '—',
        fmt(percentile(r.first, 50)),
        fmt(percentile(r.first, 99)),
      ]),
    ]);
    return goals(results, config);
  },
};
