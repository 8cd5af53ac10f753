// The cluster benchmark's run: both systems started side by side, their clients opened, then
// alternated rounds in which each system gets its latency phase and its two write phases. What
// it returns is every sample; cluster.ts reduces and prints them.
import { benchKeys } from '../keys.js';
import { redisBinary } from '../peers/redisServer.js';
import { metered } from './meter.js';
import { BrewerSession, Subscriber } from './clusterClients.js';
import { oneAtATime } from './clusterLatency.js';
import { startCluster, startSingle, type System, type SystemKey } from './clusterSystems.js';
import { writeAll, writerBatches, type WriteShape } from './clusterWrites.js';

export interface ClusterConfig extends WriteShape {
  readonly rounds: number;
  /** Brewers registered and unregistered one at a time, per round per system. */
  readonly latencyEvents: number;
  /** Writer sessions, alternately on nodes A and B. */
  readonly writers: number;
  /** Registrations (then as many unregistrations) per round per system: a multiple of writers × batch. */
  readonly writes: number;
}

export interface WriteFigures {
  readonly perSec: number;
  /** CPU of every serving process (the nodes and Redis, or the one server) per write, µs. */
  readonly cpuUs: number;
  /** `cpuUs` by process, in the order of the system's `roles`. */
  readonly cpuUsEach: readonly number[];
  readonly loadgenUs: number;
}

export interface ClusterResult {
  readonly key: SystemKey;
  readonly label: string;
  readonly roles: readonly string[];
  /** Every sample of every round, ms. */
  readonly notify: number[];
  readonly removed: number[];
  /** One entry per round. */
  readonly register: WriteFigures[];
  readonly unregister: WriteFigures[];
}

/** A system with its clients: the writers (writer 0, on A, also drives the latency phase) and the subscriber on C. */
interface Rig {
  readonly system: System;
  readonly writers: BrewerSession[];
  readonly subscriber: Subscriber;
  readonly result: ClusterResult;
  /** The next unused brewer number, so no uuid is registered twice. */
  nextId: number;
}

async function openRig(system: System, config: ClusterConfig): Promise<Rig> {
  const token = benchKeys().mint('bench');
  const [a, b, c] = system.ports;
  const subscriber = await Subscriber.open(c, token);
  const writers = await Promise.all(Array.from({ length: config.writers }, (_, w) => BrewerSession.open(w % 2 === 0 ? a : b, token)));
  const result: ClusterResult = { key: system.key, label: system.label, roles: system.roles, notify: [], removed: [], register: [], unregister: [] };
  return { system, writers, subscriber, result, nextId: 0 };
}

function closeRig(rig: Rig): void {
  for (const writer of rig.writers) writer.close();
  rig.subscriber.close();
}

async function latencyPhase(rig: Rig, events: number): Promise<void> {
  const writer = rig.writers[0];
  if (!writer) throw new Error('the cluster bench needs a writer');
  const samples = await oneAtATime(writer, rig.subscriber, events, rig.nextId);
  rig.nextId += events;
  rig.result.notify.push(...samples.notify);
  rig.result.removed.push(...samples.removed);
}

/** `writes` registrations, then their unregistrations, each phase measured on its own. */
async function writePhases(rig: Rig, writes: number, config: ClusterConfig): Promise<{ register: WriteFigures; unregister: WriteFigures }> {
  const perWriter = writes / config.writers;
  const phase = async (add: boolean): Promise<WriteFigures> => {
    const batches = writerBatches(config.writers, perWriter, rig.nextId, add, config);
    const m = await metered(rig.system.pids, () => writeAll(rig.writers, rig.subscriber, batches, add, config));
    const us = (ns: number): number => ns / 1000 / writes;
    return { perSec: writes / (m.wallNs / 1e9), cpuUs: us(m.serverCpuNs), cpuUsEach: m.serverCpuNsEach.map(us), loadgenUs: us(m.loadgenCpuNs) };
  };
  const register = await phase(true);
  const unregister = await phase(false);
  rig.nextId += perWriter;
  return { register, unregister };
}

/** Why the cluster bench cannot run here, or null. */
export function clusterUnavailable(): string | null {
  return redisBinary() === null ? 'redis-server is not installed (or set BENCH_REDIS_SERVER)' : null;
}

export async function runCluster(config: ClusterConfig): Promise<ClusterResult[]> {
  const started = await Promise.allSettled([startCluster(), startSingle()]);
  const systems = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const rigs: Rig[] = [];
  try {
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    for (const system of systems) rigs.push(await openRig(system, config));
    for (const rig of rigs) {
      // A whole round of warm-up, outside the figures: with less (128 writes), the first
      // rounds ran the server's write path cold, 3–5× slower in --quick than in the full run.
      await latencyPhase(rig, config.latencyEvents);
      await writePhases(rig, config.writes, config);
      rig.result.notify.length = 0;
      rig.result.removed.length = 0;
    }
    for (let round = 0; round < config.rounds; round++) {
      for (let i = 0; i < rigs.length; i++) {
        const rig = rigs[(i + round) % rigs.length];
        if (!rig) continue;
        await latencyPhase(rig, config.latencyEvents);
        const figures = await writePhases(rig, config.writes, config);
        rig.result.register.push(figures.register);
        rig.result.unregister.push(figures.unregister);
      }
    }
    return rigs.map((rig) => rig.result);
  } finally {
    for (const rig of rigs) closeRig(rig);
    await Promise.all(systems.map((system) => system.stop()));
  }
}
