// Matching stays flat: a registration (register + unregister of one brewer, one subscriber told)
// on a hub holding 0, 10k and 100k other subscriptions, in process (the core's hot path, no
// sockets). The other subscriptions live in a region.site.device.metric hierarchy that the
// registered topic is not part of, so only the index's shape can make it dearer.
import { jsonDialect } from '../../src/core/dialects/json/jsonDialect.js';
import { adoptIdentity } from '../../src/core/operations/adoptIdentity.js';
import { operations } from '../../src/core/operations/index.js';
import type { Session } from '../../src/core/sessions/session.js';
import { prng, usPerCall } from '../harness.js';
import { allRights, benchHub, CountingConnection } from '../memory.js';
import { fmt, median, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import type { SuiteBench, SuiteContext } from './context.js';

export interface MatchingConfig {
  readonly sizes: readonly number[];
  readonly rounds: number;
  readonly minMs: number;
}

export const FULL: MatchingConfig = { sizes: [0, 10_000, 100_000], rounds: 45, minMs: 30 };
export const QUICK: MatchingConfig = { sizes: [0, 10_000, 100_000], rounds: 24, minMs: 15 };

const PER_SESSION = 1000;
const LEVELS = [10, 50, 100, 10];
const TOPIC = 'bench.kitchen.temp';
const BREWER = { uuid: 'b-000001', hostname: '10.0.0.7', port: 9899, protocol: 'udp' };

/** 50% literal, 30% one or two `*`, 20% one `**`: the mix bench/matcher.ts uses. */
function randomPattern(random: () => number): string {
  const names = ['region', 'site', 'device', 'metric'];
  const topic = LEVELS.map((count, level) => `${names[level] ?? 'x'}${Math.floor(random() * count)}`);
  const roll = random();
  if (roll < 0.5) return topic.join('.');
  if (roll < 0.8) {
    for (let i = 0; i < (roll < 0.7 ? 1 : 2); i++) topic[Math.floor(random() * topic.length)] = '*';
    return topic.join('.');
  }
  const kind = random();
  if (kind < 0.5) return [...topic.slice(0, 1 + Math.floor(random() * 2)), '**'].join('.');
  if (kind < 0.75) return ['**', ...topic.slice(3)].join('.');
  return [topic[0], '**', ...topic.slice(3)].join('.');
}

interface Setup {
  readonly size: number;
  /** Subscriptions the hub really holds (a repeated pattern in one session counts once). */
  readonly held: number;
  readonly registerOnce: () => void;
}

function build(size: number): Setup {
  const hub = benchHub();
  const random = prng(42);
  const session = (sub: string): Session => {
    const { session } = hub.createSession(jsonDialect, new CountingConnection(), hub.log);
    adoptIdentity(hub, session, allRights(sub));
    return session;
  };
  let held = 0;
  let current: Session | undefined;
  for (let i = 0; i < size; i++) {
    if (i % PER_SESSION === 0) current = session(`s${i / PER_SESSION}`);
    if (current && operations.subscribe(hub, current, randomPattern(random)).ok) held++;
  }
  const told = new CountingConnection();
  const subscriber = hub.createSession(jsonDialect, told, hub.log).session;
  adoptIdentity(hub, subscriber, allRights('told'));
  operations.subscribe(hub, subscriber, 'bench.**');
  const brewer = session('brewer');
  const registerOnce = (): void => {
    operations.registerBrewer(hub, brewer, TOPIC, BREWER);
    operations.unregisterBrewer(hub, brewer, TOPIC, BREWER.uuid);
  };
  registerOnce();
  if (told.frames !== 2) throw new Error(`the matching bench's subscriber was told ${told.frames} times, not twice`);
  return { size, held, registerOnce };
}

export const matchingBench: SuiteBench = {
  name: 'matching',
  title: 'matching: a registration with 0, 10k and 100k other subscriptions, in process',
  run: async (context: SuiteContext) => {
    const config = context.quick ? QUICK : FULL;
    const setups = config.sizes.map(build);
    const times = new Map<number, number[]>(setups.map((s) => [s.size, []]));
    for (const setup of setups) usPerCall(setup.registerOnce, 200); // warm-up
    for (let round = 0; round < config.rounds; round++) {
      for (let i = 0; i < setups.length; i++) {
        const setup = setups[(i + round) % setups.length];
        if (setup) times.get(setup.size)?.push(usPerCall(setup.registerOnce, config.minMs));
      }
      await Promise.resolve();
    }
    const base = median(times.get(0) ?? []);
    console.log(`\n  register + unregister on ${TOPIC}, one subscriber told; ${config.rounds} alternated rounds of ${config.minMs} ms`);
    printTable([
      ['other subscriptions', 'held', 'µs per registration', 'vs 0'],
      ...setups.map((s) => {
        const us = median(times.get(s.size) ?? []);
        return [s.size.toLocaleString('en-US'), s.held.toLocaleString('en-US'), fmt(us), ratioText(us / base)];
      }),
    ]);
    const largest = setups[setups.length - 1];
    if (!largest || largest.size === 0) return [];
    const us = median(times.get(largest.size) ?? []);
    const row: GoalRow = {
      goal: `matching: registration at ${largest.size.toLocaleString('en-US')} subscriptions`,
      unit: 'µs',
      ours: us,
      baseline: base,
      baselineLabel: 'at 0 subscriptions',
      target: '≤ 1.20× at 0 (flat)',
      met: us / base <= 1.2,
    };
    return [row];
  },
};
