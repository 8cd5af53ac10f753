// Fan-out: N subscribers to a wildcard, events published one per write with a few in flight
// (steady) and 100 at once (burst), on ours, the ws baselines and the peers, each its own server
// process. Figures per delivery counted at the subscribers: server CPU, server write syscalls,
// load-generator CPU.
import { fmt, median, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import { availableTargets } from '../targets/index.js';
import { notifyFrame, type TargetKey, type TargetSpec } from '../targets/target.js';
import type { SuiteBench, SuiteContext } from './context.js';
import { metered } from './meter.js';
import { burst, openFileLimit, openRig, steady, type Rig } from './rig.js';

export type FanoutPhase = 'steady' | 'burst';

export interface FanoutConfig {
  readonly sizes: readonly number[];
  readonly rounds: number;
  /** Events per steady phase at a given size (even). */
  readonly steadyEvents: (subscribers: number) => number;
  /** Events in one burst (100 in the goal). */
  readonly burstEvents: number;
  /** Steady events in flight at most. */
  readonly window: number;
  /** Publisher connections; a burst is split over them. */
  readonly publishers: number;
  /** The systems measured at a given size. */
  readonly targets: (subscribers: number) => readonly TargetKey[];
  readonly phases: readonly FanoutPhase[];
}

export interface FanoutFigures {
  /** Server CPU per delivery, µs. */
  readonly cpuUs: number;
  /** Server write syscalls per delivery. */
  readonly syscw: number;
  /** Load-generator CPU per delivery, µs. */
  readonly loadgenUs: number;
  readonly deliveries: number;
  readonly wallMs: number;
}

export interface FanoutResult {
  readonly subscribers: number;
  readonly key: TargetKey;
  readonly label: string;
  readonly phase: FanoutPhase;
  readonly rounds: FanoutFigures[];
  readonly median: FanoutFigures;
}

const ALL: readonly TargetKey[] = ['pubkeeper', 'rawBroadcast', 'coalescedRaw', 'nats', 'mosquitto'];
/** Ours and what the goals compare it with; the two ~10 µs baselines add minutes at 5,000. */
const GOALS_ONLY: readonly TargetKey[] = ['pubkeeper', 'coalescedRaw', 'nats'];

/**
 * A window of 64 events keeps the publisher ahead of the servers (a flood, as a busy registry
 * sees it), which is where coalescing servers show what they save: nats-server does ~1.3 µs and
 * 0.03 writes per delivery here, against ~14 µs and 1.0 one event at a time.
 */
export const FULL: FanoutConfig = {
  sizes: [1000, 5000],
  rounds: 5,
  steadyEvents: (n) => (n >= 5000 ? 128 : 256),
  burstEvents: 100,
  window: 64,
  publishers: 4,
  targets: (n) => (n >= 5000 ? GOALS_ONLY : ALL),
  phases: ['steady', 'burst'],
};

export const QUICK: FanoutConfig = { ...FULL, sizes: [1000], rounds: 3, steadyEvents: () => 64, targets: () => GOALS_ONLY };

function figures(m: Awaited<ReturnType<typeof metered>>, deliveries: number): FanoutFigures {
  return {
    cpuUs: m.serverCpuNs / 1000 / deliveries,
    syscw: m.serverSyscw / deliveries,
    loadgenUs: m.loadgenCpuNs / 1000 / deliveries,
    deliveries,
    wallMs: m.wallNs / 1e6,
  };
}

function medianFigures(rounds: readonly FanoutFigures[]): FanoutFigures {
  return {
    cpuUs: median(rounds.map((r) => r.cpuUs)),
    syscw: median(rounds.map((r) => r.syscw)),
    loadgenUs: median(rounds.map((r) => r.loadgenUs)),
    deliveries: median(rounds.map((r) => r.deliveries)),
    wallMs: median(rounds.map((r) => r.wallMs)),
  };
}

async function measurePhase(rig: Rig, phase: FanoutPhase, config: FanoutConfig): Promise<FanoutFigures> {
  const events = phase === 'steady' ? config.steadyEvents(rig.subscribers) : config.burstEvents;
  const m = await metered(rig.target.server.pid, () =>
    phase === 'steady' ? steady(rig, events, config.window) : burst(rig, events),
  );
  return figures(m, events * rig.subscribers);
}

export async function open(spec: TargetSpec, subscribers: number, config: FanoutConfig, payloadBytes: number): Promise<Rig> {
  const rig = await openRig(spec, subscribers, config.publishers, payloadBytes);
  // Warm-up, not measured: the JIT, the first allocation of every buffer.
  await steady(rig, 16, 8);
  return rig;
}

/** Runs the fan-out phases for every size and target; alternated rounds, medians per phase. */
export async function runFanout(config: FanoutConfig): Promise<FanoutResult[]> {
  const payloadBytes = notifyFrame().length;
  const results: FanoutResult[] = [];
  for (const subscribers of config.sizes) {
    const specs = availableTargets(config.targets(subscribers));
    const perRound = new Map<string, FanoutFigures[]>();
    // Every target's clients at once need this many descriptors in the load generator; past the
    // limit each target is opened for its turn of a round and closed after it.
    const needed = specs.length * (subscribers + config.publishers + 2) + 200;
    const resident = needed <= openFileLimit();
    const rigs = new Map<TargetKey, Rig>();
    try {
      // Opened side by side: each server is a process of its own, so their setups overlap.
      if (resident) {
        const opened = await Promise.allSettled(specs.map((spec) => open(spec, subscribers, config, payloadBytes)));
        for (const outcome of opened) if (outcome.status === 'fulfilled') rigs.set(outcome.value.spec.key, outcome.value);
        for (const outcome of opened) if (outcome.status === 'rejected') throw outcome.reason;
      }
      else console.log(`  (${subscribers} subscribers × ${specs.length} systems exceed the open-file limit ${openFileLimit()}: each system is started for its turn)`);
      for (let round = 0; round < config.rounds; round++) {
        const order = specs.map((_, i) => specs[(i + round) % specs.length]).filter((s): s is TargetSpec => s !== undefined);
        for (const spec of order) {
          const rig = rigs.get(spec.key) ?? (await open(spec, subscribers, config, payloadBytes));
          try {
            for (const phase of config.phases) {
              const key = `${spec.key}/${phase}`;
              const list = perRound.get(key) ?? [];
              list.push(await measurePhase(rig, phase, config));
              perRound.set(key, list);
            }
          } finally {
            if (!resident) await rig.target.close();
          }
        }
      }
    } finally {
      for (const rig of rigs.values()) await rig.target.close();
    }
    for (const spec of specs) {
      for (const phase of config.phases) {
        const rounds = perRound.get(`${spec.key}/${phase}`) ?? [];
        results.push({ subscribers, key: spec.key, label: spec.label, phase, rounds, median: medianFigures(rounds) });
      }
    }
  }
  return results;
}

function printResults(results: readonly FanoutResult[], config: FanoutConfig): void {
  for (const subscribers of config.sizes) {
    for (const phase of config.phases) {
      const rows = results.filter((r) => r.subscribers === subscribers && r.phase === phase);
      const nats = rows.find((r) => r.key === 'nats');
      const raw = rows.find((r) => r.key === 'rawBroadcast');
      const what =
        phase === 'steady'
          ? `one event per write, ${config.window} in flight, ${config.steadyEvents(subscribers)} events a round`
          : `${config.burstEvents} events in one turn over ${config.publishers} publishers`;
      console.log(`\n  fan-out to ${subscribers.toLocaleString('en-US')} subscribers, ${phase} (${what}); ${notifyFrame().length}-byte payload`);
      printTable([
        ['system', 'server CPU µs/delivery', 'vs nats', 'vs raw ws', 'writes/delivery', 'loadgen CPU µs/delivery', 'deliveries/round'],
        ...rows.map((r) => [
          r.label,
          fmt(r.median.cpuUs),
          nats ? ratioText(r.median.cpuUs / nats.median.cpuUs) : '—',
          raw ? ratioText(r.median.cpuUs / raw.median.cpuUs) : '—',
          fmt(r.median.syscw),
          fmt(r.median.loadgenUs),
          r.median.deliveries.toLocaleString('en-US'),
        ]),
      ]);
    }
  }
}

function goals(results: readonly FanoutResult[], config: FanoutConfig): GoalRow[] {
  const rows: GoalRow[] = [];
  const find = (n: number, key: TargetKey, phase: FanoutPhase): FanoutResult | undefined =>
    results.find((r) => r.subscribers === n && r.key === key && r.phase === phase);
  for (const n of config.sizes) {
    const size = n.toLocaleString('en-US');
    const ours = find(n, 'pubkeeper', 'steady');
    const nats = find(n, 'nats', 'steady');
    if (ours) {
      const ratio = nats ? ours.median.cpuUs / nats.median.cpuUs : Number.NaN;
      rows.push({
        goal: `fan-out ${size}: server CPU per delivery`,
        unit: 'µs',
        ours: ours.median.cpuUs,
        baseline: nats?.median.cpuUs ?? Number.NaN,
        baselineLabel: nats ? 'nats-server' : 'nats-server absent',
        target: '≤ 0.70× nats-server',
        met: nats ? ratio <= 0.7 : null,
      });
    }
    const oursBurst = find(n, 'pubkeeper', 'burst');
    const natsBurst = find(n, 'nats', 'burst');
    if (oursBurst) {
      rows.push({
        goal: `burst ${size}: write syscalls per delivery`,
        unit: '',
        ours: oursBurst.median.syscw,
        baseline: natsBurst?.median.syscw ?? Number.NaN,
        baselineLabel: natsBurst ? 'nats-server' : 'nats-server absent',
        target: '≤ 0.1 per delivery',
        met: oursBurst.median.syscw <= 0.1,
      });
    }
  }
  return rows;
}

export const fanoutBench: SuiteBench = {
  name: 'fanout',
  title: 'fan-out: server CPU and write syscalls per delivery, steady and in bursts',
  run: async (context: SuiteContext) => {
    const config = context.quick ? QUICK : FULL;
    const results = await runFanout(config);
    printResults(results, config);
    return goals(results, config);
  },
};
